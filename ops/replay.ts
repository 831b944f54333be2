/**
 * Replaying a finished event: an operator who fixed a handler's bug wants an event the ledger already
 * marks completed (or ignored) done again. The event goes back on the event queue as a message marked
 * ForceReprocess, which the worker honours by redoing it although the ledger says it is done. A
 * dead-lettered event is not replayed here: redriving the dead-letter queue does that.
 *
 * The message carries the event as it was received when this server kept it (npm start's event log),
 * else as Stripe's Events API holds it (30 days); a thin-only event goes back as its notification, so
 * the worker fetches it again as it did the first time.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MESSAGE_ATTRIBUTE, snapshotMessage, thinMessage, type QueuedMessage } from '../functions/shared/message';
import type { LedgerRecord } from '../functions/worker/ledger';
import { explainingAccess } from './access-errors';
import { fromEventsApi, notificationOf, type EventDetailDeps } from './event-detail';
import { getLedgerRecord } from './ledger-reads';
import type { PipelineResources } from './stage';

export interface ReplayDeps extends Pick<EventDetailDeps, 'stripeApi' | 'now' | 'receivedBody'> {
  readonly db: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly resources: Pick<PipelineResources, 'ledgerTableName' | 'queueUrl'>;
}

/** What a replay of an event would do, for the operator to confirm; or why it may not be replayed. */
export interface ReplayPlan {
  readonly eventId: string;
  readonly type: string;
  readonly status: string;
  readonly replayable: boolean;
  /** What will happen, in a sentence or two; or why not. */
  readonly effect: string;
}

/** The status a replay needs: the event is done, so nothing else will run it again. */
const REPLAYABLE: ReadonlySet<string> = new Set(['completed', 'ignored']);

/** What replaying `eventId` would do; undefined when the ledger has never seen it. */
export async function planReplay(deps: Pick<ReplayDeps, 'db' | 'resources'>, eventId: string): Promise<ReplayPlan | undefined> {
  const record = await readRecord(deps, eventId);
  return record && planFor(record);
}

/**
 * Queues the event again, marked to be redone. The caller has shown the operator planReplay's effect.
 *
 * @throws ReplayRefusedError when the event may not be replayed (unknown, not done, or its payload is
 *   gone), with the reason; AccessError when the operator's credentials lack a permission
 */
export async function replayEvent(deps: ReplayDeps, eventId: string): Promise<{ readonly eventId: string; readonly type: string; readonly payloadSource: 'received' | 'events-api' }> {
  const record = await readRecord(deps, eventId);
  if (!record) throw new ReplayRefusedError(`No event ${eventId} in the ledger`);
  const plan = planFor(record);
  if (!plan.replayable) throw new ReplayRefusedError(plan.effect);
  const { message, payloadSource } = await messageFor(deps, record);
  message.attributes[MESSAGE_ATTRIBUTE.forceReprocess] = { DataType: 'String', StringValue: 'true' };
  await explainingAccess(deps.sqs, 'to put the event back on the event queue').send(
    new SendMessageCommand({ QueueUrl: deps.resources.queueUrl, MessageBody: message.body, MessageAttributes: message.attributes }),
  );
  return { eventId: record.eventId, type: record.type, payloadSource };
}

/** A replay asked for what cannot be replayed; its message says why, and is safe to show. */
export class ReplayRefusedError extends Error {
  override readonly name = 'ReplayRefusedError';
}

function readRecord(deps: Pick<ReplayDeps, 'db' | 'resources'>, eventId: string): Promise<LedgerRecord | undefined> {
  return getLedgerRecord(explainingAccess(deps.db, "to read the event's record"), deps.resources.ledgerTableName, eventId);
}

function planFor(record: LedgerRecord): ReplayPlan {
  const { eventId, type, status } = record;
  if (!REPLAYABLE.has(status)) {
    const why =
      status === 'failed'
        ? 'It failed: the worker retries it, and once it is in the dead-letter queue a redrive runs it again.'
        : 'It is being processed now.';
    return { eventId, type, status, replayable: false, effect: `${eventId} is ${status}, not done, so it is not replayed. ${why}` };
  }
  return {
    eventId,
    type,
    status,
    replayable: true,
    effect:
      `${type} ${eventId} goes back on the event queue, marked to be redone: the worker runs its action again although the ledger says ${status}. ` +
      'Projection writes it already made are skipped (each is written once per version), but an action with effects outside DynamoDB (an email, a call to another service) does them again.',
  };
}

async function messageFor(deps: ReplayDeps, record: LedgerRecord): Promise<{ message: QueuedMessage; payloadSource: 'received' | 'events-api' }> {
  const arrival = { source: record.source ?? 'webhook', receivedAt: new Date((deps.now ?? Date.now)()) } as const;
  const thinOnly = record.form === 'thin' && !record.thinEventId;
  if (thinOnly) {
    // The worker fetches a thin event itself; the notification is all it was sent the first time.
    const notification = notificationOf(record);
    return { message: thinMessage(notification, JSON.stringify(notification), arrival), payloadSource: 'events-api' };
  }
  const received = deps.receivedBody?.(record.eventId);
  if (received !== undefined) return { message: snapshotMessage(snapshotFields(record, JSON.parse(received)), received, arrival), payloadSource: 'received' };
  const fetched = await fromEventsApi(deps, record);
  if (!('payload' in fetched)) throw new ReplayRefusedError(`${record.eventId} cannot be replayed: ${fetched.note}`);
  return { message: snapshotMessage(snapshotFields(record, fetched.payload), JSON.stringify(fetched.payload), arrival), payloadSource: 'events-api' };
}

function snapshotFields(record: LedgerRecord, event: unknown) {
  const { api_version } = event as { api_version?: string | null };
  return { id: record.eventId, type: record.type, livemode: record.livemode ?? false, api_version: api_version ?? null };
}
