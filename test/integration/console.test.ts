/**
 * The console in headless Chromium (Debian's, driven by playwright-core): it lists an event, shows its
 * detail and payload, redrives the DLQ, and reconciles with the Stripe API stand-in.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import type { LocalStack } from '../../local/stack';
import { sampleEvent } from '../../local/sample-events';
import { trigger } from '../../scripts/trigger';
import { TEST_SECRET } from '../helpers/factories';
import { eventually, getJson, jsonRequest, startTestStack } from '../helpers/local-stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('console', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
    stack = await startTestStack();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('renders an event, its detail and payload, the ledger totals, and redrives the DLQ', async () => {
    const { eventIds } = await trigger({ types: ['payout.paid'], url: `${stack.url}/webhook`, secret: TEST_SECRET });
    const eventId = eventIds[0]!;
    await eventually(async () => ((await getJson(`${stack.url}/api/events/${eventId}`)).body.status === 'completed' ? true : undefined));

    const page = await browser.newPage();
    await page.goto(`${stack.url}/console`);
    const row = page.locator('#events tr', { hasText: eventId });
    await row.waitFor();
    expect(await row.textContent()).toContain('payout.paid');
    expect(await row.locator('td').nth(3).textContent()).toBe('completed');

    await row.click();
    await page.locator('#detail-id', { hasText: eventId }).waitFor();
    expect(await page.locator('#detail-payload').textContent()).toContain('"object": "payout"');
    await page.locator('#totals tr', { hasText: 'USD' }).waitFor();
    expect(await page.locator('#totals').textContent()).toContain('1250.00');

    await page.fill('#filter-type', 'invoice.paid');
    await page.locator('#events-empty').waitFor();
    expect(await page.locator('#events tr').count()).toBe(0);

    // A poison event in the DLQ, then the redrive button.
    await getJson(`${stack.url}/api/chaos`, jsonRequest('PUT', { failTypes: ['balance.available'] }));
    await trigger({ types: ['balance.available'], url: `${stack.url}/webhook`, secret: TEST_SECRET });
    // Listed from the ledger at its last failed attempt, then in the queue (the count note clears) once SQS moves it.
    await page.waitForFunction("document.querySelector('#dlq-count').textContent === '1' && document.querySelector('#dlq-queued').textContent === ''", undefined, { timeout: 30_000 });
    expect(await page.locator('#dlq li').textContent()).toMatch(/balance\.available · evt_\w+ · failed after 5 receives/);
    await getJson(`${stack.url}/api/chaos`, jsonRequest('PUT', { failTypes: [] }));
    await page.click('#redrive');
    await page.locator('#redrive-result', { hasText: 'Moved 1 message' }).waitFor();
    await page.screenshot({ path: `${process.env.CONSOLE_SCREENSHOT ?? '/tmp/console.png'}` });
  }, 60_000);

  it('finds a missed webhook with "Reconcile now" and shows it done, from backfill', async () => {
    const missed = sampleEvent('invoice.paid');
    stack.stripeStandIn!.store.recordEvent(missed, { delivered: false });
    const page = await browser.newPage();
    await page.goto(`${stack.url}/console`);

    await page.click('#reconcile');

    await page.locator('#reconcile-result', { hasText: '1 queued' }).waitFor();
    expect(await page.locator('#reconcile-result').textContent()).toContain(`invoice.paid ${missed.id}`);
    await eventually(async () => ((await getJson(`${stack.url}/api/events/${missed.id}`)).body.status === 'completed' ? true : undefined));
    await page.locator('#events tr', { hasText: missed.id }).click();
    await page.locator('#detail-fields', { hasText: 'backfill' }).waitFor();

    await page.click('#reconcile');
    await page.locator('#reconcile-result', { hasText: '0 queued' }).waitFor();
  }, 60_000);
});
