import { InvalidEventError, SignatureVerificationError } from '../../../functions/shared/errors';
import { verifyStripeEvent } from '../../../functions/ingest/verify';
import { sampleEvent } from '../../../local/sample-events';
import { thinNotificationFor } from '../../../local/sample-thin-events';
import { OTHER_SECRET, TEST_SECRET, signedBody } from '../../helpers/factories';

const NOW_MS = 1_760_000_000_000;
const NOW_S = NOW_MS / 1000;
const options = { secrets: [TEST_SECRET], toleranceSeconds: 300, now: NOW_MS };

function verify(body: string, header: string | undefined, overrides: Partial<typeof options> = {}) {
  const payload = verifyStripeEvent(Buffer.from(body), header, { ...options, ...overrides });
  return { ...(payload.form === 'snapshot' ? payload.event : payload.notification), form: payload.form };
}

function reasonOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof SignatureVerificationError) return error.reason;
    if (error instanceof InvalidEventError) return 'invalid_event';
    throw error;
  }
  return 'accepted';
}

describe('verifyStripeEvent', () => {
  const event = sampleEvent('payment_intent.succeeded', { created: NOW_S });

  it('accepts a valid signature and returns the parsed event', () => {
    const { body, header } = signedBody(event, { timestamp: NOW_S });
    const verified = verify(body, header);
    expect(verified.id).toBe(event.id);
    expect(verified.type).toBe('payment_intent.succeeded');
  });

  it('accepts a correctly signed thin notification, signed the same way, and says it is thin', () => {
    const thin = thinNotificationFor(event);
    const { body, header } = signedBody(thin, { timestamp: NOW_S });
    expect(verify(body, header)).toMatchObject({ id: thin.id, type: 'v1.payment_intent.succeeded', form: 'thin', snapshot_event: event.id });
    expect(verify(body, header).form).not.toBe('snapshot');
  });

  it('refuses a thin notification with a bad signature like any other', () => {
    const { body, header } = signedBody(thinNotificationFor(event), { secret: OTHER_SECRET, timestamp: NOW_S });
    expect(reasonOf(() => verify(body, header))).toBe('no_match');
  });

  it('accepts a signature made with any of the configured secrets (rotation)', () => {
    const signedWithNew = signedBody(event, { secret: OTHER_SECRET, timestamp: NOW_S });
    const signedWithOld = signedBody(event, { secret: TEST_SECRET, timestamp: NOW_S });
    const both = { secrets: [TEST_SECRET, OTHER_SECRET] };
    expect(verify(signedWithNew.body, signedWithNew.header, both).id).toBe(event.id);
    expect(verify(signedWithOld.body, signedWithOld.header, both).id).toBe(event.id);
  });

  it('accepts a header carrying one signature per secret while Stripe rolls the secret', () => {
    const { body, header } = signedBody(event, { secrets: [OTHER_SECRET, TEST_SECRET], timestamp: NOW_S });
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verify(body, header).id).toBe(event.id);
  });

  it('rejects a signature made with a secret that is not configured', () => {
    const { body, header } = signedBody(event, { secret: OTHER_SECRET, timestamp: NOW_S });
    expect(reasonOf(() => verify(body, header))).toBe('no_match');
  });

  it('rejects a timestamp older than the tolerance', () => {
    const { body, header } = signedBody(event, { timestamp: NOW_S - 301 });
    expect(reasonOf(() => verify(body, header))).toBe('too_old');
  });

  it('accepts a timestamp at the edge of the tolerance', () => {
    const { body, header } = signedBody(event, { timestamp: NOW_S - 300 });
    expect(reasonOf(() => verify(body, header))).toBe('accepted');
  });

  it('rejects a timestamp from further in the future than the tolerance', () => {
    const { body, header } = signedBody(event, { timestamp: NOW_S + 301 });
    expect(reasonOf(() => verify(body, header))).toBe('in_future');
  });

  it('allows small clock skew into the future', () => {
    const { body, header } = signedBody(event, { timestamp: NOW_S + 30 });
    expect(reasonOf(() => verify(body, header))).toBe('accepted');
  });

  it('honours a configured tolerance', () => {
    const { body, header } = signedBody(event, { timestamp: NOW_S - 60 });
    expect(reasonOf(() => verify(body, header, { toleranceSeconds: 30 }))).toBe('too_old');
    expect(reasonOf(() => verify(body, header, { toleranceSeconds: 90 }))).toBe('accepted');
  });

  it('refuses a tolerance of 0 instead of turning the age check off', () => {
    const { body, header } = signedBody(event, { timestamp: NOW_S - 86_400 });
    expect(() => verify(body, header, { toleranceSeconds: 0 })).toThrow(RangeError);
  });

  it('rejects a body changed after signing', () => {
    const { body, header } = signedBody(event, { timestamp: NOW_S });
    const tampered = body.replace('"amount": 2000', '"amount": 1');
    expect(tampered).not.toBe(body);
    expect(reasonOf(() => verify(tampered, header))).toBe('no_match');
  });

  it('rejects a body re-serialised without the original whitespace', () => {
    const { body, header } = signedBody(event, { timestamp: NOW_S });
    expect(reasonOf(() => verify(JSON.stringify(JSON.parse(body)), header))).toBe('no_match');
  });

  it('rejects a tampered signature', () => {
    const { body, header } = signedBody(event, { timestamp: NOW_S });
    const flipped = header.replace(/v1=(.)/, (_, first: string) => `v1=${first === 'a' ? 'b' : 'a'}`);
    expect(reasonOf(() => verify(body, flipped))).toBe('no_match');
  });

  it('rejects a signature whose timestamp was changed', () => {
    const { body, header } = signedBody(event, { timestamp: NOW_S });
    expect(reasonOf(() => verify(body, header.replace(`t=${NOW_S}`, `t=${NOW_S - 1}`)))).toBe('no_match');
  });

  it.each([
    ['missing', undefined, 'missing_header'],
    ['empty', '', 'missing_header'],
    ['garbage', 'not-a-signature', 'malformed_header'],
    ['without a timestamp', 'v1=abcdef', 'malformed_header'],
    ['with a non-numeric timestamp', 't=yesterday,v1=abcdef', 'malformed_header'],
    ['without a v1 signature', `t=${NOW_S},v0=abcdef`, 'malformed_header'],
  ])('rejects a header that is %s', (_, header, reason) => {
    const { body } = signedBody(event, { timestamp: NOW_S });
    expect(reasonOf(() => verify(body, header))).toBe(reason);
  });

  it('rejects an empty body', () => {
    const { header } = signedBody(event, { timestamp: NOW_S });
    expect(reasonOf(() => verify('', header))).toBe('empty_body');
  });

  it('never puts the secret or the signature in its error message', () => {
    const { body, header } = signedBody(event, { secret: OTHER_SECRET, timestamp: NOW_S });
    const signature = header.split('v1=')[1]!;
    try {
      verify(body, header);
      throw new Error('expected a failure');
    } catch (error) {
      const text = `${(error as Error).message} ${JSON.stringify(error)}`;
      expect(text).not.toContain(TEST_SECRET);
      expect(text).not.toContain(OTHER_SECRET);
      expect(text).not.toContain(signature);
    }
  });

  it.each([
    ['not JSON', 'hello'],
    ['a JSON array', '[1,2,3]'],
    ['an object that is not an event', '{"object":"payment_intent","id":"pi_1"}'],
    ['an event without an id', '{"object":"event","type":"x","created":1,"livemode":false,"data":{"object":{}}}'],
    ['a thin notification without its created time', '{"object":"v2.core.event","id":"evt_1","type":"v1.billing.meter.error_report_triggered","livemode":false}'],
    ['a thin notification with a malformed type', '{"object":"v2.core.event","id":"evt_1","type":"Payment Succeeded","created":"2026-11-23T00:00:00Z","livemode":false}'],
  ])('rejects a correctly signed body that is %s', (_, body) => {
    const { header } = signedBody(body, { timestamp: NOW_S });
    expect(reasonOf(() => verify(body, header))).toBe('invalid_event');
  });
});
