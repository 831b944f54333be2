import { MalformedMessageError } from '../../../functions/shared/errors';
import { snapshotEnvelope } from '../../../functions/shared/envelope';
import { MESSAGE_ATTRIBUTE, thinMessage } from '../../../functions/shared/message';
import { readMessage } from '../../../functions/worker/read-message';
import { sampleEvent } from '../../../local/sample-events';
import { sampleMeterErrorReport, thinNotificationFor } from '../../../local/sample-thin-events';
import { formatOneAttributes, snapshotAttributes, sqsRecord } from '../../helpers/factories';

/** What Amazon EventBridge puts on the queue for an event from Stripe's partner event source. */
function eventBridgeBody(detail: unknown, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': (detail as { type?: string }).type,
    source: 'aws.partner/stripe.com/ed_test_61Q',
    account: '123456789012',
    time: '2026-11-23T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
    ...overrides,
  });
}

describe('readMessage', () => {
  it('reads a format 2 snapshot message into an envelope keyed on the event id', () => {
    const event = sampleEvent('payment_intent.succeeded');
    const receivedAt = new Date('2026-11-22T10:00:00.000Z');

    const envelope = readMessage(sqsRecord(event, { attributes: snapshotAttributes(event, receivedAt) }));

    expect(envelope).toEqual({
      ledgerId: event.id,
      type: 'payment_intent.succeeded',
      created: event.created,
      livemode: false,
      source: 'webhook',
      receivedAt: '2026-11-22T10:00:00.000Z',
      content: { kind: 'snapshot', event },
    });
  });

  it('still reads a message in the first format, written before the format had a version', () => {
    const event = sampleEvent('invoice.paid');
    const record = sqsRecord(event, { attributes: formatOneAttributes(event, new Date('2026-11-01T00:00:00.000Z')) });
    expect(record.messageAttributes[MESSAGE_ATTRIBUTE.format]).toBeUndefined();

    expect(readMessage(record)).toMatchObject({ ledgerId: event.id, source: 'webhook', receivedAt: '2026-11-01T00:00:00.000Z', content: { kind: 'snapshot' } });
  });

  it('reads a message sent by hand, with no attributes at all, as a snapshot event', () => {
    const event = sampleEvent('payout.paid');
    expect(readMessage(sqsRecord(event, { attributes: {} }))).toMatchObject({ ledgerId: event.id, source: 'webhook' });
  });

  it('carries the connected account of a Connect event', () => {
    const event = { ...sampleEvent('payout.paid'), account: 'acct_1Connected' };
    expect(readMessage(sqsRecord(event)).account).toBe('acct_1Connected');
  });

  describe('thin notifications', () => {
    it('folds a thin v1 notification that names its snapshot event into it: same ledger id, same type', () => {
      const event = sampleEvent('payment_intent.succeeded', { created: 1_763_892_000 });
      const notification = thinNotificationFor(event);
      const record = sqsRecord(JSON.stringify(notification), { attributes: thinMessage(notification, '', { source: 'webhook', receivedAt: new Date('2026-11-23T10:00:00Z') }).attributes });

      expect(readMessage(record)).toEqual({
        ledgerId: event.id,
        type: 'payment_intent.succeeded',
        created: 1_763_892_000,
        livemode: false,
        source: 'webhook',
        thinEventId: notification.id,
        receivedAt: '2026-11-23T10:00:00.000Z',
        content: { kind: 'thin', notification },
      });
    });

    it('keys a thin-only event by its own id and type, and carries its account context', () => {
      const { notification } = sampleMeterErrorReport({ context: 'acct_1Connected' });
      const record = sqsRecord(JSON.stringify(notification), { attributes: thinMessage(notification, '', { source: 'webhook', receivedAt: new Date() }).attributes });

      expect(readMessage(record)).toMatchObject({ ledgerId: notification.id, type: 'v1.billing.meter.error_report_triggered', account: 'acct_1Connected', content: { kind: 'thin' } });
      expect(readMessage(record).thinEventId).toBeUndefined();
    });

    it('refuses a thin message whose body is not a thin notification', () => {
      const event = sampleEvent('payout.paid');
      const record = sqsRecord(event, { attributes: thinMessage({ id: event.id, type: 'v1.payout.paid', livemode: false }, '', { source: 'webhook', receivedAt: new Date() }).attributes });
      expect(() => readMessage(record)).toThrow(/not a thin event notification/);
    });
  });

  describe('Amazon EventBridge events', () => {
    it('reads a snapshot event from the detail of an EventBridge event from Stripe', () => {
      const event = sampleEvent('charge.refunded');
      // EventBridge's time, to the second, in the precision every receivedAt has: the indexes compare them as strings.
      expect(readMessage(sqsRecord(eventBridgeBody(event)))).toEqual({
        ...snapshotEnvelope(event, { source: 'eventbridge', receivedAt: '2026-11-23T10:00:00.000Z' }),
      });
    });

    it('reads a thin notification from the detail, folded into its snapshot like a webhook one', () => {
      const event = sampleEvent('invoice.paid');
      const notification = thinNotificationFor(event);
      expect(readMessage(sqsRecord(eventBridgeBody(notification)))).toMatchObject({ ledgerId: event.id, type: 'invoice.paid', source: 'eventbridge', thinEventId: notification.id });
    });

    it.each([
      ['whose detail is not a Stripe event', eventBridgeBody({ hello: 'world' }), /EventBridge event whose detail is not a Stripe event/],
      ['whose detail is a malformed thin notification', eventBridgeBody({ object: 'v2.core.event', id: 'evt_1' }), /detail is not a Stripe event: event type/],
      ['from a source other than Stripe', eventBridgeBody(sampleEvent('payout.paid'), { source: 'aws.partner/example.com/x' }), /not from Stripe's partner event source/],
    ])('refuses an EventBridge event %s, with the reason', (_, body, reason) => {
      expect(() => readMessage(sqsRecord(body))).toThrow(MalformedMessageError);
      expect(() => readMessage(sqsRecord(body))).toThrow(reason);
    });
  });

  it.each([
    ['not JSON', '{'],
    ['not an event', '{"object":"charge"}'],
    ['an event without type', '{"object":"event","id":"evt_1","created":1,"livemode":false,"data":{"object":{}}}'],
  ])('refuses a body that is %s as malformed', (_, body) => {
    expect(() => readMessage(sqsRecord(body, { messageId: 'm1' }))).toThrow(MalformedMessageError);
  });

  it.each([
    ['a format it does not know', { [MESSAGE_ATTRIBUTE.format]: '3' }, /format 3/],
    ['a kind it has no reader for', { [MESSAGE_ATTRIBUTE.kind]: 'telepathy' }, /unknown kind "telepathy"/],
    ['a kind named like an Object property', { [MESSAGE_ATTRIBUTE.kind]: 'constructor' }, /unknown kind/],
    ['a source it does not know', { [MESSAGE_ATTRIBUTE.source]: 'carrier-pigeon' }, /unknown source/],
  ])('refuses a message with %s, naming it', (_, override, message) => {
    const event = sampleEvent('payout.paid');
    const attributes = { ...snapshotAttributes(event), ...Object.fromEntries(Object.entries(override).map(([name, value]) => [name, { DataType: 'String' as const, StringValue: value }])) };
    expect(() => readMessage(sqsRecord(event, { attributes }))).toThrow(message);
  });
});
