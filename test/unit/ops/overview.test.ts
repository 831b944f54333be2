/**
 * The overview's pure parts: its periods, the CloudWatch queries a stage's overview makes, and the
 * counts placed on the periods, from CloudWatch's answer and from ledger records.
 */
import type { LedgerRecord } from '../../../functions/worker/ledger';
import { emptyPoints, overviewFromLedger, overviewFromMetrics, overviewQueries, periodFor } from '../../../ops/overview';
import type { PipelineResources } from '../../../ops/stage';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = Date.parse('2026-11-24T10:00:00.000Z');

const RESOURCES: PipelineResources = {
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-stripe-events',
  deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-stripe-events-dlq',
  ledgerTableName: 'prod-stripe-event-ledger',
  projectionsTableName: 'prod-stripe-projections',
  stateTableName: 'prod-stripe-pipeline-state',
};

const iso = (ms: number) => new Date(ms).toISOString();

describe('periodFor', () => {
  it.each([
    [MINUTE, 60],
    [6 * HOUR, 60],
    [6 * HOUR + 1, 300],
    [48 * HOUR, 300],
    [7 * 24 * HOUR, 3600],
  ])('reads a span of %d ms per %d s', (span, period) => {
    expect(periodFor({ from: START, to: START + span })).toBe(period);
  });

  it('refuses an empty or reversed range, and more than 30 days', () => {
    expect(() => periodFor({ from: START, to: START })).toThrow(RangeError);
    expect(() => periodFor({ from: START, to: START - MINUTE })).toThrow(RangeError);
    expect(() => periodFor({ from: START, to: START + 31 * 24 * HOUR })).toThrow(/30 days/);
  });
});

describe('emptyPoints', () => {
  it('aligns on whole periods and covers the range', () => {
    const points = emptyPoints({ from: START + 30_000, to: START + 3 * MINUTE }, 60);
    expect(points.map((point) => point.at)).toEqual([iso(START), iso(START + MINUTE), iso(START + 2 * MINUTE)]);
    expect(points[0]).toEqual({ at: iso(START), received: 0, completed: 0, ignored: 0, failed: 0, duplicates: 0 });
  });
});

describe('overviewQueries', () => {
  it("reads the event queue's messages sent and oldest age by queue name, and the worker's counts by service", () => {
    const queries = overviewQueries(RESOURCES, 60);
    expect(queries.map((query) => [query.Id, query.MetricStat?.Metric?.MetricName, query.MetricStat?.Stat])).toEqual([
      ['received', 'NumberOfMessagesSent', 'Sum'],
      ['completed', 'EventsCompleted', 'Sum'],
      ['ignored', 'EventsIgnored', 'Sum'],
      ['failed', 'EventsFailed', 'Sum'],
      ['duplicates', 'DuplicatesSkipped', 'Sum'],
      ['oldest', 'ApproximateAgeOfOldestMessage', 'Maximum'],
    ]);
    expect(queries[0]!.MetricStat!.Metric!.Dimensions).toEqual([{ Name: 'QueueName', Value: 'prod-stripe-events' }]);
    expect(queries[1]!.MetricStat!.Metric).toMatchObject({ Namespace: 'StripeWebhooks', Dimensions: [{ Name: 'service', Value: 'stripe-webhook-worker' }] });
    expect(queries.every((query) => query.MetricStat!.Period === 60)).toBe(true);
  });
});

describe('overviewFromMetrics', () => {
  it('places each series on its period, ignores points outside the range, and takes the newest oldest-age', () => {
    const range = { from: START, to: START + 3 * MINUTE };
    const { points, oldestQueuedSeconds } = overviewFromMetrics(range, 60, [
      { Id: 'received', Timestamps: [new Date(START + 2 * MINUTE), new Date(START)], Values: [7, 5] },
      { Id: 'completed', Timestamps: [new Date(START)], Values: [4] },
      { Id: 'failed', Timestamps: [new Date(START + 10 * MINUTE)], Values: [9] },
      { Id: 'oldest', Timestamps: [new Date(START + 2 * MINUTE), new Date(START)], Values: [42, 600] },
    ]);
    expect(points.map(({ received, completed, failed }) => [received, completed, failed])).toEqual([
      [5, 4, 0],
      [0, 0, 0],
      [7, 0, 0],
    ]);
    expect(oldestQueuedSeconds).toBe(42);
  });

  it('reports no oldest age when the queue is empty', () => {
    expect(overviewFromMetrics({ from: START, to: START + MINUTE }, 60, [{ Id: 'oldest', Timestamps: [new Date(START)], Values: [0] }]).oldestQueuedSeconds).toBeUndefined();
  });
});

describe('overviewFromLedger', () => {
  const record = (overrides: Partial<LedgerRecord>): LedgerRecord =>
    ({ eventId: 'evt_1', type: 'invoice.paid', status: 'completed', attempts: 1, updatedAt: iso(START), expiresAt: 0, ...overrides }) as LedgerRecord;

  it('counts receipts, completions, ignores, failures and later deliveries on their periods', () => {
    const range = { from: START, to: START + 3 * MINUTE };
    const { points, oldestQueuedSeconds } = overviewFromLedger(
      range,
      60,
      [
        record({ receivedAt: iso(START + 1000), processedAt: iso(START + MINUTE + 1000), deliveryLog: [{ at: iso(START + 1000), source: 'webhook', receiveCount: 1 }, { at: iso(START + 2 * MINUTE), source: 'webhook', receiveCount: 1 }] } as Partial<LedgerRecord>),
        record({ eventId: 'evt_2', status: 'ignored', receivedAt: iso(START + 2000), processedAt: iso(START + 3000) }),
        record({ eventId: 'evt_3', status: 'failed', receivedAt: iso(START + MINUTE), updatedAt: iso(START + 2 * MINUTE + 5000) }),
        // Outside the range: counted nowhere.
        record({ eventId: 'evt_4', receivedAt: iso(START - HOUR), processedAt: iso(START - HOUR) }),
      ],
      START + 3 * MINUTE,
    );
    expect(points.map(({ received, completed, ignored, failed, duplicates }) => [received, completed, ignored, failed, duplicates])).toEqual([
      [2, 0, 1, 0, 0],
      [1, 1, 0, 0, 0],
      [0, 0, 0, 1, 1],
    ]);
    // evt_3 failed and waits for its retry since START + 1 minute.
    expect(oldestQueuedSeconds).toBe(120);
  });

  it('does not count a dead-lettered event as waiting in the queue', () => {
    const { oldestQueuedSeconds } = overviewFromLedger({ from: START, to: START + MINUTE }, 60, [record({ status: 'failed', receivedAt: iso(START), deadLetteredAt: iso(START) })], START + MINUTE);
    expect(oldestQueuedSeconds).toBeUndefined();
  });
});
