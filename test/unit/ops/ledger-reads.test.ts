/** What the event tools show of a ledger record, and reading records by id. */
import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { LedgerRecord } from '../../../functions/worker/ledger';
import { eventRecordDetail, eventSummary, getLedgerRecords } from '../../../ops/ledger-reads';

const CREATED = Date.parse('2026-11-24T10:00:00Z') / 1000;

function record(overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    eventId: 'evt_summary',
    type: 'invoice.paid',
    status: 'completed',
    attempts: 1,
    created: CREATED,
    source: 'webhook',
    receivedAt: '2026-11-24T10:00:01.250Z',
    processedAt: '2026-11-24T10:00:03.000Z',
    updatedAt: '2026-11-24T10:00:03.000Z',
    expiresAt: CREATED + 90 * 86_400,
    ...overrides,
  };
}

describe('eventSummary', () => {
  it('counts the deliveries and the duplicates absorbed', () => {
    expect(eventSummary(record({ deliveries: 3 }))).toMatchObject({ deliveries: 3, duplicatesAbsorbed: 2 });
  });

  it('counts one delivery for a record written before deliveries were counted', () => {
    expect(eventSummary(record())).toMatchObject({ deliveries: 1, duplicatesAbsorbed: 0 });
  });

  it("gives Stripe's creation time and the latencies from it to receipt and to completion", () => {
    expect(eventSummary(record())).toMatchObject({ created: '2026-11-24T10:00:00.000Z', receiptLatencyMs: 1250, completionLatencyMs: 3000 });
  });

  it('leaves out the completion latency of an event not done, and every latency without a creation time', () => {
    const failed = eventSummary(record({ status: 'failed', processedAt: undefined }));
    expect(failed).toHaveProperty('receiptLatencyMs', 1250);
    expect(failed).not.toHaveProperty('completionLatencyMs');
    expect(eventSummary(record({ created: undefined }))).not.toHaveProperty('receiptLatencyMs');
  });

  it('names the object the event is about, and keeps the delivery log for the detail', () => {
    const deliveryLog = [{ at: '2026-11-24T10:00:01.250Z', source: 'webhook' as const, receiveCount: 1 }];
    const withLog = record({ objectId: 'in_123', deliveries: 1, deliveryLog });
    expect(eventSummary(withLog)).toMatchObject({ objectId: 'in_123' });
    expect(eventSummary(withLog)).not.toHaveProperty('deliveryLog');
    expect(eventRecordDetail(withLog)).toMatchObject({ objectId: 'in_123', deliveryLog });
    expect(eventRecordDetail(record())).toMatchObject({ deliveryLog: [] });
  });
});

describe('getLedgerRecords', () => {
  const TABLE = 'ledger';
  let db: DynamoDBClient;
  let mock: ReturnType<typeof mockClient>;

  beforeEach(() => {
    db = new DynamoDBClient({ region: 'eu-west-1' });
    mock = mockClient(db);
  });
  afterEach(() => mock.restore());

  const item = (eventId: string) => marshall(record({ eventId }), { removeUndefinedValues: true });

  it('asks again for the keys DynamoDB left unprocessed, and answers in the order asked', async () => {
    const slept: number[] = [];
    mock
      .on(BatchGetItemCommand)
      .resolvesOnce({ Responses: { [TABLE]: [item('evt_c')] }, UnprocessedKeys: { [TABLE]: { Keys: [{ eventId: { S: 'evt_a' } }] } } })
      .resolvesOnce({ Responses: { [TABLE]: [item('evt_a')] } });

    const records = await getLedgerRecords(db, TABLE, ['evt_a', 'evt_b', 'evt_c'], async (ms) => slept.push(ms));

    expect(records.map((found) => found.eventId)).toEqual(['evt_a', 'evt_c']);
    expect(mock.commandCalls(BatchGetItemCommand)[1]!.args[0].input.RequestItems![TABLE]!.Keys).toEqual([{ eventId: { S: 'evt_a' } }]);
    expect(slept).toHaveLength(1);
  });

  it('reads 100 keys a call', async () => {
    mock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    await getLedgerRecords(db, TABLE, Array.from({ length: 250 }, (_, index) => `evt_${index}`));
    expect(mock.commandCalls(BatchGetItemCommand).map((call) => call.args[0].input.RequestItems![TABLE]!.Keys!.length)).toEqual([100, 100, 50]);
  });

  it('gives up, saying why, when the keys stay unprocessed', async () => {
    mock.on(BatchGetItemCommand).resolves({ UnprocessedKeys: { [TABLE]: { Keys: [{ eventId: { S: 'evt_a' } }] } } });
    await expect(getLedgerRecords(db, TABLE, ['evt_a'], async () => undefined)).rejects.toThrow(/left 1 ledger records unread after 8 tries \(the table is throttled\)/);
    expect(mock.commandCalls(BatchGetItemCommand)).toHaveLength(8);
  });
});
