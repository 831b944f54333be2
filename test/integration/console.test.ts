/**
 * The console in headless Chromium (Debian's, driven by playwright-core), under the page's own CSP:
 * it lists, filters and searches events, shows an event's record, deliveries and payload, replays a
 * finished event, draws the overview, redrives all or selected dead letters after a preview, and
 * reconciles with the Stripe API stand-in; and, served by the stage console's server, it sends the
 * token with every request. No test may leave an error in the page or its console.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createStripeApi } from '../../functions/shared/stripe-api';
import type { ConsoleTarget } from '../../local/console-api';
import { startConsoleServer } from '../../local/console-server';
import { localStripeApiConfig } from '../../local/local-stripe-api';
import type { LocalStack } from '../../local/stack';
import { sampleEvent } from '../../local/sample-events';
import { ledgerOverview } from '../../ops/overview';
import { trigger } from '../../scripts/trigger';
import { TEST_SECRET } from '../helpers/factories';
import { eventually, getJson, jsonRequest, startTestStack } from '../helpers/local-stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Failing events reach the DLQ after 5 receives: seconds each on a busy machine. */
const DEAD_LETTER_WAIT_MS = 60_000;

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

  /** A page in a context of its own, and every error it throws or logs (a CSP violation, a failed request). */
  async function openConsole(url = `${stack.url}/console`): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console error: ${message.text()} (${message.location().url})`);
    });
    await page.goto(url);
    return { page, errors, close: () => context.close() };
  }

  /**
   * The errors a test did not provoke on purpose: Chromium logs each 4xx answer to the page's fetch as
   * a failed resource, so a test that makes the API refuse something names that answer here.
   */
  const unexpected = (errors: string[], ...provoked: RegExp[]) => errors.filter((error) => !provoked.some((pattern) => pattern.test(error)));

  const send = (types: string[], options: { duplicates?: number } = {}) =>
    trigger({ types, url: `${stack.url}/webhook`, secret: TEST_SECRET, standIn: { apiBase: stack.stripeApiBase }, ...options });

  const eventStatus = async (eventId: string) => (await getJson(`${stack.url}/api/events/${eventId}`)).body.status as string | undefined;

  async function sendAndWait(types: string[], options: { duplicates?: number } = {}): Promise<string[]> {
    const { eventIds } = await send(types, options);
    for (const eventId of eventIds) await eventually(async () => ((await eventStatus(eventId)) === 'completed' || (await eventStatus(eventId)) === 'ignored' ? true : undefined), 30_000, `${eventId} done`);
    return [...eventIds];
  }

  /** The text of `selector` once `check` accepts it. */
  function textWhen(page: Page, selector: string, check: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
    return eventually(async () => {
      const text = (await page.locator(selector).textContent()) ?? '';
      return check(text) ? text : undefined;
    }, timeoutMs, `${selector} to show what was expected`);
  }

  /** The value shown beside a field name in the detail panel. */
  const detailField = (page: Page, name: string) => page.locator('#detail-fields dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]');

  async function makeDeadLetters(types: string[]): Promise<string[]> {
    await getJson(`${stack.url}/api/chaos`, jsonRequest('PUT', { failTypes: types }));
    const { eventIds } = await send(types);
    return [...eventIds];
  }

  it('renders an event, its detail and payload, the ledger totals, and redrives the DLQ', async () => {
    const [eventId] = await sendAndWait(['payout.paid']);
    const { page, errors, close } = await openConsole();

    const row = page.locator('#events tr', { hasText: eventId! });
    await row.waitFor();
    expect(await row.textContent()).toContain('payout.paid');
    expect(await row.locator('td.status').textContent()).toBe('completed');
    expect(await page.locator('#target-name').textContent()).toBe('the local stack');

    await row.locator('td', { hasText: eventId! }).click();
    await page.locator('#detail-id', { hasText: eventId! }).waitFor();
    await page.locator('#detail-payload', { hasText: '"object": "payout"' }).waitFor();
    await page.locator('#totals tr', { hasText: 'USD' }).waitFor();
    expect(await page.locator('#totals').textContent()).toContain('1250.00');

    await page.fill('#filter-type', 'invoice.paid');
    await page.locator('#events-empty').waitFor();
    expect(await page.locator('#events tr').count()).toBe(0);

    // A poison event in the DLQ, then "Redrive all", which shows what would move before it moves it.
    const [poisonId] = await makeDeadLetters(['balance.available']);
    // Listed from the ledger at its last failed attempt, then in the queue (the count note clears) once SQS moves it.
    await eventually(async () => ((await page.textContent('#dlq-count')) === '1' && (await page.textContent('#dlq-queued')) === '' ? true : undefined), DEAD_LETTER_WAIT_MS, 'the dead letter');
    expect(await page.locator('#dlq li').textContent()).toMatch(/balance\.available · evt_\w+ · failed after 5 receives/);
    await getJson(`${stack.url}/api/chaos`, jsonRequest('PUT', { failTypes: [] }));
    await page.click('#redrive');
    await page.locator('#redrive-preview-list li', { hasText: poisonId! }).waitFor();
    expect(await page.locator('#redrive-confirm-text').textContent()).toContain('at most 50 messages a second');
    await page.click('#redrive-confirm');
    await page.locator('#redrive-result', { hasText: 'Moved 1 message back to the queue.' }).waitFor();
    await page.screenshot({ path: `${process.env.CONSOLE_SCREENSHOT ?? '/tmp/console.png'}`, fullPage: true });
    await eventually(async () => ((await eventStatus(poisonId!)) === 'completed' ? true : undefined), 30_000, 'the redriven event done');
    expect(errors).toEqual([]);
    await close();
  }, 90_000);

  it('finds a missed webhook with "Reconcile now" and shows it done, from backfill', async () => {
    const missed = sampleEvent('invoice.paid');
    stack.stripeStandIn!.store.recordEvent(missed, { delivered: false });
    const { page, errors, close } = await openConsole();
    expect(await page.inputValue('#reconcile-since')).toBe('30d');

    await page.click('#reconcile');

    await page.locator('#reconcile-result', { hasText: '1 queued' }).waitFor();
    expect(await page.locator('#reconcile-result').textContent()).toContain(`invoice.paid ${missed.id}`);
    await eventually(async () => ((await eventStatus(missed.id)) === 'completed' ? true : undefined));
    await page.locator('#events tr', { hasText: missed.id }).locator('td.status').click();
    await page.locator('#detail-fields', { hasText: 'backfill' }).waitFor();

    await page.click('#reconcile');
    await page.locator('#reconcile-result', { hasText: '0 queued' }).waitFor();

    // A range that ends before it starts is refused, and the reason is shown where it was asked.
    await page.fill('#reconcile-since', '1h');
    await page.fill('#reconcile-until', '2h');
    await page.click('#reconcile');
    await page.locator('#reconcile-result', { hasText: 'Reconcile failed: until must come after since' }).waitFor();
    expect(unexpected(errors, /status of 400 .*\/api\/reconcile\)$/)).toEqual([]);
    await close();
  }, 60_000);

  it('filters events by status and type, and finds them by event id or object id', async () => {
    // A handled type (completed) and one no action handles (ignored).
    const [paymentId, customerId] = await sendAndWait(['payment_intent.succeeded', 'customer.created']);
    const { body: payment } = await getJson(`${stack.url}/api/events/${paymentId}`);
    const objectId = payment.payload.data.object.id as string;
    expect(objectId).toMatch(/^pi_/);
    const { page, errors, close } = await openConsole();
    const rowOf = (eventId: string) => page.locator('#events tr', { hasText: eventId });
    const column = async (name: string) => new Set(await page.locator(`#events td.${name}`).allTextContents());
    await rowOf(paymentId!).waitFor();
    await rowOf(customerId!).waitFor();

    await page.selectOption('#filter-status', 'ignored');
    await rowOf(paymentId!).waitFor({ state: 'detached' });
    await rowOf(customerId!).waitFor();
    expect(await column('status')).toEqual(new Set(['ignored']));

    await page.selectOption('#filter-status', '');
    await page.fill('#filter-type', 'payment_intent.succeeded');
    await rowOf(customerId!).waitFor({ state: 'detached' });
    await rowOf(paymentId!).waitFor();
    expect(await column('type')).toEqual(new Set(['payment_intent.succeeded']));

    await page.selectOption('#filter-status', 'failed');
    await page.locator('#events-empty').waitFor();
    await page.selectOption('#filter-since', '1h');
    await page.selectOption('#filter-status', 'completed');
    await rowOf(paymentId!).waitFor();

    // A time range the API refuses: its message, where the range was set.
    await page.selectOption('#filter-since', 'other');
    await page.fill('#filter-since-other', 'yesterday-ish');
    await page.locator('#events-error', { hasText: /./ }).waitFor();
    await page.fill('#filter-since-other', '2h');
    await page.locator('#events-error').waitFor({ state: 'hidden' });
    await page.fill('#filter-type', '');
    await page.selectOption('#filter-status', '');

    // An event id opens the event.
    await page.fill('#search', paymentId!);
    await page.press('#search', 'Enter');
    await page.locator('#detail-id', { hasText: paymentId! }).waitFor();
    await page.locator('#search-note', { hasText: `Search results for ${paymentId}` }).waitFor();

    // An object id lists the events about the object.
    await page.fill('#search', objectId);
    await page.press('#search', 'Enter');
    await page.locator('#search-note', { hasText: `Search results for ${objectId}: 1 event about this object` }).waitFor();
    await rowOf(paymentId!).waitFor();
    expect(await page.locator('#events tr').count()).toBe(1);

    // The search survives the periodic refresh, and "clear" brings the listing back.
    await page.waitForTimeout(3_000);
    expect(await page.locator('#search-note').isVisible()).toBe(true);
    expect(await page.locator('#events tr').count()).toBe(1);
    await page.click('#search-clear');
    await rowOf(customerId!).waitFor();
    expect(await page.locator('#search-note').isVisible()).toBe(false);
    expect(unexpected(errors, /status of 400 .*\/api\/events\?.*since=yesterday-ish/)).toEqual([]);
    await close();
  }, 60_000);

  it("shows an event's record, each delivery, its latency and where its payload came from", async () => {
    const [eventId] = await sendAndWait(['payment_method.attached'], { duplicates: 2 });
    const { page, errors, close } = await openConsole();
    const row = page.locator('#events tr', { hasText: eventId! });
    await row.locator('td', { hasText: '(1 dup)' }).waitFor();

    await row.locator('td', { hasText: 'payment_method.attached' }).click();
    await page.locator('#detail-id', { hasText: eventId! }).waitFor();
    await page.locator('#detail-deliveries tr').first().waitFor();
    expect(await page.locator('#detail-deliveries tr').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#detail-deliveries tr').first().textContent()).toContain('webhook');
    expect(await detailField(page, 'receipt latency').textContent()).toMatch(/^\d+(\.\d)? (ms|s)$/);
    expect(await detailField(page, 'completion latency').textContent()).toMatch(/^\d+(\.\d)? (ms|s)$/);
    expect(await detailField(page, 'status').textContent()).toBe('completed');
    expect(await detailField(page, 'deliveries').textContent()).toBe('2 (1 duplicate absorbed)');
    expect(await page.locator('#detail-payload-source').textContent()).toBe('As received by npm start.');
    expect(await page.locator('#detail-payload').textContent()).toContain(`"id": "${eventId}"`);

    // Ticking the row's checkbox selects it without opening another detail.
    await row.locator('input[type="checkbox"]').check();
    expect(await page.locator('#redrive-selected').textContent()).toBe('Redrive selected (1)…');
    await page.waitForTimeout(3_000);
    expect(await row.locator('input[type="checkbox"]').isChecked()).toBe(true);
    expect(await page.locator('#detail-id').textContent()).toBe(eventId);
    expect(errors).toEqual([]);
    await close();
  }, 60_000);

  it('replays a completed event after showing what the replay does', async () => {
    const [eventId] = await sendAndWait(['customer.subscription.created']);
    const before = (await getJson(`${stack.url}/api/events/${eventId}`)).body.attempts as number;
    const { page, errors, close } = await openConsole();
    await page.fill('#search', eventId!);
    await page.press('#search', 'Enter');
    await page.locator('#detail-id', { hasText: eventId! }).waitFor();

    await page.click('#replay');
    await page.locator('#replay-effect', { hasText: 'goes back on the event queue' }).waitFor();
    expect(await page.locator('#replay-result').textContent()).toBe('');
    await page.click('#replay-yes');
    await page.locator('#replay-result', { hasText: `Queued customer.subscription.created ${eventId} again` }).waitFor();
    expect(await page.locator('#replay-confirm').isVisible()).toBe(false);

    await eventually(async () => ((await getJson(`${stack.url}/api/events/${eventId}`)).body.attempts > before ? true : undefined), 30_000, 'the replay done');
    // The open detail follows the event: its attempts go up on the page too.
    await textWhen(page, '#detail-fields', (text) => text.includes(`attempts${before + 1}`));
    expect(errors).toEqual([]);
    await close();
  }, 60_000);

  it('draws the overview of the events just sent', async () => {
    await sendAndWait(['transfer.created']);
    const { page, errors, close } = await openConsole();

    await page.locator('#overview-chart svg.chart circle.series-received').first().waitFor();
    expect(await page.locator('#overview-chart svg.chart polyline').count()).toBe(5);
    expect(Number(await page.locator('#overview-totals [data-total="received"]').textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#overview-legend li').allTextContents()).toEqual(['received', 'completed', 'ignored', 'failed', 'duplicates absorbed']);
    expect(await page.locator('#overview-note').textContent()).toContain('Per minute, counted from the ledger');

    await page.selectOption('#overview-range', '24h');
    await page.locator('#overview-note', { hasText: 'Per 5 minutes' }).waitFor();
    await page.locator('#overview-chart svg.chart circle.series-received').first().waitFor();
    expect(errors).toEqual([]);
    await close();
  }, 60_000);

  it('redrives only the dead letter selected, after a preview that lists only it', async () => {
    const [chosenId, otherId] = await makeDeadLetters(['invoice.payment_failed', 'customer.subscription.deleted']);
    const { page, errors, close } = await openConsole();
    await eventually(async () => ((await page.textContent('#dlq-count')) === '2' && (await page.textContent('#dlq-queued')) === '' ? true : undefined), DEAD_LETTER_WAIT_MS, 'both dead letters');
    await getJson(`${stack.url}/api/chaos`, jsonRequest('PUT', { failTypes: [] }));

    await page.locator('#dlq li', { hasText: chosenId! }).locator('input[type="checkbox"]').check();
    await page.click('#redrive-selected');
    await page.locator('#redrive-preview-summary', { hasText: 'would move 1 message.' }).waitFor();
    expect(await page.locator('#redrive-preview-list li').allTextContents()).toEqual([expect.stringContaining(chosenId!)]);
    expect(await page.locator('#redrive-confirm-text').textContent()).toContain('the 1 selected event back to the event queue, at most 50 messages a second');
    await page.click('#redrive-confirm');
    await page.locator('#redrive-result', { hasText: 'Moved 1 message back to the queue.' }).waitFor();

    await eventually(async () => ((await page.textContent('#dlq-count')) === '1' ? true : undefined), 30_000, 'one dead letter left');
    expect(await page.locator('#dlq li').allTextContents()).toEqual([expect.stringContaining(otherId!)]);
    await eventually(async () => ((await eventStatus(chosenId!)) === 'completed' ? true : undefined), 30_000, 'the chosen event done');
    expect(await eventStatus(otherId!)).toBe('failed');
    expect(errors).toEqual([]);
    await close();

    // Left as found for the tests after this one.
    await getJson(`${stack.url}/api/dlq/redrive`, jsonRequest('POST', {}));
  }, 120_000);

  it('serves the stage console: the token trades for a cookie, and every request, a POST too, carries it', async () => {
    const [eventId] = await sendAndWait(['payment_intent.created']);
    const stripeApi = await createStripeApi(localStripeApiConfig(stack.stripeApiBase, { STRIPE_READS_PER_SECOND: '100' }));
    const target: ConsoleTarget = {
      name: 'stage test (local emulators)',
      kind: 'stage',
      db: stack.db,
      sqs: stack.sqs,
      resources: stack.resources,
      stripeApi: async () => stripeApi,
      overview: (range) => ledgerOverview(stack, range),
    };
    const server = await startConsoleServer({ target, port: 0 });
    try {
      const { page, errors, close } = await openConsole(server.url);
      expect(new URL(page.url()).search).toBe('');
      await page.locator('#target-name', { hasText: 'stage test (local emulators)' }).waitFor();
      const row = page.locator('#events tr', { hasText: eventId! });
      await row.waitFor();
      await page.locator('#health', { hasText: 'ready' }).waitFor();
      // Only npm start has the accounting ledger: a stage's page never shows (nor asks for) it.
      expect(await page.locator('#ledger-panel').isVisible()).toBe(false);

      await row.locator('td.status').click();
      await page.locator('#detail-payload-source', { hasText: "From Stripe's Events API." }).waitFor();

      // A POST needs the token in its header, which only the page's script sends.
      await page.click('#redrive-preview');
      await page.locator('#redrive-preview-summary', { hasText: 'A redrive of every dead letter would move' }).waitFor();
      expect(errors).toEqual([]);
      await close();

      const stranger = await browser.newContext();
      const refused = await stranger.newPage();
      const response = await refused.goto(`http://127.0.0.1:${server.port}/console`);
      expect(response?.status()).toBe(403);
      expect(await refused.locator('body').textContent()).toContain('This needs the console token');
      await stranger.close();
    } finally {
      await server.close();
    }
  }, 60_000);
});
