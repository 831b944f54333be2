import { MalformedMessageError } from '../../../functions/shared/errors';
import { MESSAGE_ATTRIBUTE } from '../../../functions/shared/message';
import { readMessage } from '../../../functions/worker/read-message';
import { sampleEvent } from '../../../local/sample-events';
import { formatOneAttributes, snapshotAttributes, sqsRecord } from '../../helpers/factories';

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
