/**
 * The ledger in DynamoDB, and the only code that writes the projections table. It turns the rules of
 * ledger-rules.ts into condition expressions, one per claimable state, and owns what is DynamoDB's
 * alone: transactions of at most 100 items that touch no item twice, and SDK errors, which it
 * translates into the pipeline's own (nothing above sees a DynamoDB type).
 *
 * - `commit` marks the event completed and applies the action's writes in ONE TransactWriteItems, on
 *   the condition that the claim may. A crash before it leaves nothing; after it, everything.
 * - `commitTogether` does the same for the new events of a batch, many per transaction.
 * - `acquireLease` comes first when an action also has effects outside DynamoDB.
 *
 * Every write that may create the item also writes the keys of the ledger's indexes (resources.ts):
 * `receivedHour` beside `receivedAt`, `objectId`, and `failedShard` exactly while the status is
 * `failed`. A message's first write on its first receive counts a delivery (ledger-rules.ts) in that
 * same request; a duplicate's count costs one UpdateItem more.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { CommitConflictError, LeaseHeldError, LeaseLostError, describeError } from '../shared/errors';
import type { Log } from '../shared/observability';
import { deadLetterShard, failedShard, receivedHour } from '../shared/resources';
import { attributeMap } from './attribute-values';
import type { ProjectionWrite } from './effects';
import { DELIVERY_LOG_LIMIT, type CombinedCommit, type CommitEntry, type CommitResult, type Ledger, type LedgerEvent } from './ledger';
import {
  countsDelivery,
  explainRefusal,
  failureFrom,
  finishFrom,
  leaseFrom,
  mayWrite,
  type Claim,
  type ClaimableState,
  type DirectClaim,
  type HolderClaim,
  type LeaseClaim,
  type LedgerState,
  type Refusal,
} from './ledger-rules';
import { projectionItemKeys, projectionItems } from './projection-items';

export interface DynamoLedgerOptions {
  readonly ledgerTableName: string;
  readonly projectionsTableName: string;
  readonly retentionDays: number;
  /** Where a delivery that could not be counted is told. @default console */
  readonly log?: Pick<Log, 'warn'>;
}

/** What a refused write reads of the item as it was. */
type RefusedItem = LedgerState & { readonly deadLetteredAt?: string; readonly thinEventId?: string; readonly deliveryLog?: readonly unknown[] };

/** What a write adds for the delivery it is made for: the count and a log entry, or the count alone once the log is full. */
type DeliveryMark = 'countAndLog' | 'count';

interface UpdateParts {
  /** Which write this is: its texts are the same for every event with the same claim, delivery mark and common variant. */
  readonly write: 'complete' | 'ignore' | 'lease' | 'fail';
  readonly set: string;
  readonly add?: string;
  readonly remove?: readonly string[];
  readonly values?: Record<string, unknown>;
}

/** Items one TransactWriteItems may hold. */
const MAX_TRANSACTION_ITEMS = 100;

const MAX_ERROR_LENGTH = 1000;

/** Each claimable state of the rules as a condition on the ledger item. */
const CONDITION_OF: Readonly<Record<ClaimableState, string>> = {
  new: 'attribute_not_exists(#eventId)',
  failed: '#status = :failed',
  expiredLease: '(#status = :processing AND #leaseExpiresAt < :nowMs)',
  ownLease: '(#status = :processing AND #leaseOwner = :owner)',
  completed: '#status = :completed',
  ignored: '#status = :ignored',
};

/** The note that the event's message went to the dead-letter queue (and puts it in the dead-letter index). */
const DEAD_LETTER_NOTE = ['#deadLetteredAt', '#deadLetterShard', '#deadLetterReceiveCount'];

/** The lease and the dead-letter note: removed whenever the event is finished or fails again. */
const LEASE_AND_DEAD_LETTER = ['#leaseOwner', '#leaseExpiresAt', ...DEAD_LETTER_NOTE];

/** The failed-events index key: set with the status `failed`, removed with any other. */
const FAILED_SHARD = ['#failedShard'];

/** What a finished event no longer has. */
const FINISHED_REMOVES = [...LEASE_AND_DEAD_LETTER, ...FAILED_SHARD];

const COUNT_DELIVERY = '#deliveries :one';
const LOG_DELIVERY = '#deliveryLog = list_append(if_not_exists(#deliveryLog, :noDeliveries), :delivery)';
const LOG_HAS_ROOM = '(attribute_not_exists(#deliveryLog) OR size(#deliveryLog) < :deliveryLogLimit)';
const NO_DELIVERIES: readonly never[] = [];

const DIRECT: DirectClaim = { kind: 'direct' };

/**
 * The attributes every ledger write sets, in each variant of the optional ones (see commonVariant).
 * `receivedAt` keeps the first value recorded, and the index keys that never change keep theirs:
 * `receivedHour` is always the hour of the `receivedAt` stored.
 */
const COMMON_SETS = Array.from(
  { length: 8 },
  (_, variant) =>
    '#type = :type, #created = :created, #livemode = :livemode, #source = :source, #form = :form, ' +
    '#receivedAt = if_not_exists(#receivedAt, :receivedAt), #receivedHour = if_not_exists(#receivedHour, :receivedHour), ' +
    '#updatedAt = :nowIso, #expiresAt = :expiresAt' +
    (variant & 1 ? ', #account = :account' : '') +
    (variant & 2 ? ', #thinEventId = :thinEventId' : '') +
    (variant & 4 ? ', #objectId = if_not_exists(#objectId, :objectId)' : ''),
);

export class DynamoLedger implements Ledger {
  private readonly log: Pick<Log, 'warn'>;

  constructor(private readonly db: DynamoDBClient, private readonly options: DynamoLedgerOptions) {
    this.log = options.log ?? console;
  }

  async commit(event: LedgerEvent, writes: readonly ProjectionWrite[], claim: DirectClaim | HolderClaim, now: number): Promise<CommitResult> {
    let mark = deliveryMarkOf(event, claim);
    let remaining = writes.map((write, group) => ({ write, group }));
    // Each pass drops the writes refused in the pass before, or, once, stops logging the delivery.
    for (let pass = 0; pass <= writes.length + 1; pass++) {
      const skippedWrites = writes.length - remaining.length;
      const items: { item: TransactWriteItem; group: number }[] = [{ item: this.completion(event, claim, skippedWrites, now, mark), group: -1 }];
      for (const { write, group } of remaining) {
        for (const item of projectionItems(this.options.projectionsTableName, write, event.id, now)) items.push({ item, group });
      }
      try {
        await this.db.send(new TransactWriteItemsCommand({ TransactItems: items.map(({ item }) => item) }));
        return { outcome: 'completed', skippedWrites };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') {
          const record = (reasons[0].Item ? unmarshall(reasons[0].Item) : undefined) as RefusedItem | undefined;
          if (mark === 'countAndLog' && refusedForFullLog(finishFrom(claim), record, claim, now)) {
            mark = 'count';
            continue;
          }
          return { outcome: 'duplicate', status: await this.acknowledgeDone(event, explainRefusal(claim, record, now), record, countsDelivery(event.receiveCount, claim), now) };
        }
        // A projection write refused: stale (a newer version is stored) or already applied. Drop it and retry.
        const failedGroups = new Set<number>();
        reasons.forEach((reason, index) => {
          if (reason.Code === 'ConditionalCheckFailed') failedGroups.add(items[index]!.group);
        });
        const otherCodes = reasons.map((reason) => reason.Code).filter((code) => code && code !== 'None' && code !== 'ConditionalCheckFailed');
        if (failedGroups.size === 0 || otherCodes.length > 0) {
          throw new CommitConflictError(`Commit of ${event.id} was cancelled (${otherCodes.join(', ') || 'no reason given'}); it will be retried`, { cause: error });
        }
        remaining = remaining.filter(({ group }) => !failedGroups.has(group));
      }
    }
    throw new CommitConflictError(`Commit of ${event.id} kept failing its conditions`);
  }

  async commitTogether(entries: readonly CommitEntry[], now: number): Promise<CombinedCommit> {
    const committed = new Set<string>();
    const errors: unknown[] = [];
    for (const group of this.transactionGroups(entries, now)) {
      // A group of one gains nothing over its own commit, which also handles every refusal.
      if (group.length < 2) continue;
      try {
        await this.db.send(new TransactWriteItemsCommand({ TransactItems: group.flatMap(({ items }) => items) }));
        for (const { entry } of group) committed.add(entry.event.id);
      } catch (error) {
        // Refused conditions (a duplicate, a stale write) are expected; anything else (throttling, a
        // time-out) is reported. Either way the group's events are committed one by one.
        if (!(error instanceof TransactionCanceledException && error.CancellationReasons?.some((reason) => reason.Code === 'ConditionalCheckFailed'))) {
          errors.push(error);
        }
      }
    }
    return { committed, errors };
  }

  async recordIgnored(event: LedgerEvent, claim: DirectClaim, now: number): Promise<'ignored' | 'duplicate'> {
    const refusal = await this.update(event, claim, finishFrom(claim), now, {
      write: 'ignore',
      set: `#status = :ignored, #processedAt = :nowIso, ${COMMON_SETS[commonVariant(event)]}`,
      add: '#attempts :one',
      remove: FINISHED_REMOVES,
    });
    if (!refusal) return 'ignored';
    await this.acknowledgeDone(event, explainRefusal(claim, refusal, now), refusal, countsDelivery(event.receiveCount, claim), now);
    return 'duplicate';
  }

  async acquireLease(event: LedgerEvent, claim: LeaseClaim, leaseMs: number, now: number): Promise<'acquired' | 'duplicate'> {
    const refusal = await this.update(event, claim, leaseFrom(claim), now, {
      write: 'lease',
      set: `#status = :processing, #leaseOwner = :owner, #leaseExpiresAt = :leaseExpiresAt, ${COMMON_SETS[commonVariant(event)]}`,
      add: '#attempts :one',
      remove: FAILED_SHARD,
      values: { ':leaseExpiresAt': now + leaseMs },
    });
    if (!refusal) return 'acquired';
    const explained = explainRefusal(claim, refusal, now);
    if (explained.kind === 'alreadyOurs') return 'acquired';
    await this.acknowledgeDone(event, explained, refusal, countsDelivery(event.receiveCount, claim), now);
    return 'duplicate';
  }

  async recordFailure(event: LedgerEvent, error: string, claim: Claim, now: number): Promise<void> {
    await this.update(event, claim, failureFrom(claim), now, {
      write: 'fail',
      set: `#status = :failed, #failedShard = :failedShard, #lastError = :error, ${COMMON_SETS[commonVariant(event)]}`,
      // A holder's attempt was counted when it took the lease.
      add: claim.kind === 'holder' ? undefined : '#attempts :one',
      remove: LEASE_AND_DEAD_LETTER,
      values: { ':error': error.slice(0, MAX_ERROR_LENGTH), ':failedShard': failedShard(event.id) },
    });
  }

  async markDeadLettered(event: LedgerEvent, receiveCount: number, now: number): Promise<void> {
    // Whatever the status, the message is on its way to the dead-letter queue. An event the ledger never
    // recorded (it was unreachable) is created as failed, and a failed event stays in the failed-events
    // index; only they are put there, so that a finished or leased event's note leaves it out.
    const note = `SET #deadLetteredAt = :nowIso, #deadLetterShard = :shard, #deadLetterReceiveCount = :receiveCount, #status = if_not_exists(#status, :failed), #attempts = if_not_exists(#attempts, :receiveCount), ${COMMON_SETS[commonVariant(event)]}`;
    const send = (update: string, condition: string | undefined) =>
      this.db.send(
        new UpdateItemCommand({
          TableName: this.options.ledgerTableName,
          Key: attributeMap({ eventId: event.id }),
          ...expression(shapeOf(update, condition), this.commonValues(event, now), {
            ':shard': deadLetterShard(event.id),
            ':receiveCount': receiveCount,
            ':failed': 'failed',
            ':failedShard': failedShard(event.id),
          }),
        }),
      );
    try {
      await send(`${note}, #failedShard = :failedShard`, conditionOf(['new', 'failed']));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The event is finished, or leased: the note leaves its status as it is, and it out of failed-events.
      await send(note, undefined);
    }
  }

  /**
   * One conditional UpdateItem of the ledger item, counting the delivery it is made for. Returns
   * undefined when it was applied, or the item as it was when the condition refused it.
   */
  private async update(event: LedgerEvent, claim: Claim, states: readonly ClaimableState[], now: number, parts: UpdateParts): Promise<RefusedItem | undefined> {
    const mark = deliveryMarkOf(event, claim);
    const refused = await this.updateOnce(event, claim, states, now, parts, mark);
    if (mark === 'countAndLog' && refusedForFullLog(states, refused, claim, now)) return this.updateOnce(event, claim, states, now, parts, 'count');
    return refused;
  }

  private async updateOnce(
    event: LedgerEvent,
    claim: Claim,
    states: readonly ClaimableState[],
    now: number,
    parts: UpdateParts,
    mark: DeliveryMark | undefined,
  ): Promise<RefusedItem | undefined> {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.options.ledgerTableName,
          Key: attributeMap({ eventId: event.id }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...expression(claimShape(parts, states, claim, event, mark), this.commonValues(event, now), claimValues(claim, now), parts.values ?? {}),
        }),
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (error.Item ? unmarshall(error.Item) : undefined) as RefusedItem | undefined;
    }
  }

  /**
   * A write refused because the event is done: the delivery is acknowledged. A dead-letter note on the
   * item is cleared then, as a completion clears it: this delivery is the note's message, redriven. A
   * thin notification folded into the done event leaves its id beside the event's. A first receive is
   * counted as a delivery, a duplicate one; so is one refused because another delivery holds the lease,
   * before it is sent back: its later receives do not count.
   * @throws what says to retry, when the refusal is not "done"
   */
  private async acknowledgeDone(event: LedgerEvent, refusal: Refusal, record: RefusedItem | undefined, countDelivery: boolean, now: number) {
    if (refusal.kind === 'leaseHeld' && countDelivery) await this.acknowledge(event, record, { clearNote: false, countDelivery }, now);
    const status = statusIfDone(event.id, refusal);
    const thinEventId = event.thinEventId && record?.thinEventId !== event.thinEventId ? event.thinEventId : undefined;
    await this.acknowledge(event, record, { thinEventId, clearNote: record?.deadLetteredAt !== undefined, countDelivery }, now);
    return status;
  }

  /**
   * What a duplicate delivery changes on the item, in one UpdateItem if anything: its thin event id,
   * the dead-letter note cleared, the delivery counted and logged while the log has room (should it
   * fill up after `record` was read, the count is written alone, in a second request). A count that
   * fails is told and let go: counting never sends a delivery back to the queue.
   */
  private async acknowledge(
    event: LedgerEvent,
    record: RefusedItem | undefined,
    change: { readonly thinEventId?: string; readonly clearNote: boolean; readonly countDelivery: boolean },
    now: number,
  ): Promise<void> {
    const mark: DeliveryMark | undefined = !change.countDelivery ? undefined : logIsFull(record) ? 'count' : 'countAndLog';
    if (!change.thinEventId && !change.clearNote && !mark) return;
    const send = (delivery: DeliveryMark | undefined) => {
      const set = [change.thinEventId ? '#thinEventId = :thinEventId' : '', delivery === 'countAndLog' ? LOG_DELIVERY : ''].filter(Boolean).join(', ');
      const update = [set ? `SET ${set}` : '', delivery ? `ADD ${COUNT_DELIVERY}` : '', change.clearNote ? `REMOVE ${DEAD_LETTER_NOTE.join(', ')}` : ''].filter(Boolean).join(' ');
      const condition = delivery === 'countAndLog' ? `attribute_exists(#eventId) AND ${LOG_HAS_ROOM}` : 'attribute_exists(#eventId)';
      return this.db.send(
        new UpdateItemCommand({
          TableName: this.options.ledgerTableName,
          Key: attributeMap({ eventId: event.id }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...expression(shapeOf(update, condition), this.commonValues(event, now)),
        }),
      );
    };
    try {
      await send(mark).catch((error: unknown) => {
        // The item is there, so the log filled up since it was read.
        if (mark === 'countAndLog' && error instanceof ConditionalCheckFailedException && error.Item) return send('count');
        throw error;
      });
    } catch (error) {
      // The item is gone (its time to live ended): there is nothing left to note on it.
      if (error instanceof ConditionalCheckFailedException) return;
      if (change.thinEventId || change.clearNote) throw error;
      this.log.warn('Could not count a duplicate delivery in the ledger; it is acknowledged all the same', { eventId: event.id, error: describeError(error) });
    }
  }

  async doneStatus(event: LedgerEvent, now: number): Promise<'completed' | 'ignored' | undefined> {
    const { Item } = await this.db.send(
      new GetItemCommand({
        TableName: this.options.ledgerTableName,
        Key: attributeMap({ eventId: event.id }),
        ConsistentRead: true,
        ProjectionExpression: '#status, #thinEventId, #deadLetteredAt, #deliveryLog',
        ExpressionAttributeNames: { '#status': 'status', '#thinEventId': 'thinEventId', '#deadLetteredAt': 'deadLetteredAt', '#deliveryLog': 'deliveryLog' },
      }),
    );
    const item = Item ? (unmarshall(Item) as RefusedItem) : undefined;
    const status = item?.status;
    if (status !== 'completed' && status !== 'ignored') return undefined;
    await this.acknowledgeDone(event, { kind: 'done', status }, item, countsDelivery(event.receiveCount, DIRECT), now);
    return status;
  }

  private completion(event: LedgerEvent, claim: DirectClaim | HolderClaim, skippedWrites: number, now: number, mark: DeliveryMark | undefined): TransactWriteItem {
    return {
      Update: {
        TableName: this.options.ledgerTableName,
        Key: attributeMap({ eventId: event.id }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ...expression(
          claimShape(
            {
              write: 'complete',
              set: `#status = :completed, #processedAt = :nowIso, #skippedWrites = :skipped, ${COMMON_SETS[commonVariant(event)]}`,
              // A holder's attempt was counted when it took the lease.
              add: claim.kind === 'direct' ? '#attempts :one' : undefined,
              remove: FINISHED_REMOVES,
            },
            finishFrom(claim),
            claim,
            event,
            mark,
          ),
          this.commonValues(event, now),
          claimValues(claim, now),
          { ':skipped': skippedWrites },
        ),
      },
    };
  }

  /** Groups entries into transactions of at most 100 items that never touch one item twice (first fit). */
  private transactionGroups(entries: readonly CommitEntry[], now: number) {
    const groups: { members: { entry: CommitEntry; items: TransactWriteItem[] }[]; keys: Set<string>; size: number }[] = [];
    for (const entry of entries) {
      let items: TransactWriteItem[];
      try {
        items = [
          this.completion(entry.event, DIRECT, 0, now, deliveryMarkOf(entry.event, DIRECT)),
          ...entry.writes.flatMap((write) => projectionItems(this.options.projectionsTableName, write, entry.event.id, now)),
        ];
      } catch {
        continue; // Writes that cannot be expressed fail in the event's own commit, not in its batch-mates'.
      }
      const keys = [`ledger|${entry.event.id}`, ...entry.writes.flatMap(projectionItemKeys).map((key) => `projection|${key.pk}|${key.sk}`)];
      const fits = groups.find((group) => group.size + items.length <= MAX_TRANSACTION_ITEMS && keys.every((key) => !group.keys.has(key)));
      const group = fits ?? groups[groups.push({ members: [], keys: new Set(), size: 0 }) - 1]!;
      group.members.push({ entry, items });
      keys.forEach((key) => group.keys.add(key));
      group.size += items.length;
    }
    return groups.map((group) => group.members);
  }

  private commonValues(event: LedgerEvent, now: number): Record<string, unknown> {
    const receivedAt = event.receivedAt ?? new Date(now).toISOString();
    const nowIso = new Date(now).toISOString();
    return {
      ':type': event.type,
      ':created': event.created,
      ':livemode': event.livemode,
      ':source': event.source,
      ':form': event.form ?? 'snapshot',
      ':account': event.account,
      ':thinEventId': event.thinEventId,
      ':objectId': event.objectId,
      ':receivedAt': receivedAt,
      ':receivedHour': receivedHour(event.id, receivedAt),
      ':nowIso': nowIso,
      ':expiresAt': Math.floor(now / 1000) + this.options.retentionDays * 86_400,
      ':one': 1,
      // Used only by the writes that log a delivery, which only a first receive makes.
      ':delivery': event.receiveCount === 1 ? [{ at: nowIso, source: event.source, receiveCount: event.receiveCount }] : undefined,
      ':noDeliveries': NO_DELIVERIES,
      ':deliveryLogLimit': DELIVERY_LOG_LIMIT,
    };
  }
}

/** Which of the optional attributes an event's writes set: its account (1), thin event (2), object (4). */
function commonVariant(event: LedgerEvent): number {
  return (event.account ? 1 : 0) | (event.thinEventId ? 2 : 0) | (event.objectId ? 4 : 0);
}

/** What a write made with `claim` adds for its delivery, if it counts one: first a log entry with the count. */
function deliveryMarkOf(event: LedgerEvent, claim: Claim): DeliveryMark | undefined {
  return countsDelivery(event.receiveCount, claim) ? 'countAndLog' : undefined;
}

function logIsFull(record: RefusedItem | undefined): boolean {
  return (record?.deliveryLog?.length ?? 0) >= DELIVERY_LOG_LIMIT;
}

/** Whether a write that logs its delivery was refused for the full log alone: the rules let it go ahead. */
function refusedForFullLog(states: readonly ClaimableState[], record: RefusedItem | undefined, claim: Claim, now: number): boolean {
  return logIsFull(record) && mayWrite(states, record, claim, now);
}

/** Maps a refusal to the delivery's next step: the finished status, or an error that says to retry. */
function statusIfDone(eventId: string, refusal: Refusal) {
  switch (refusal.kind) {
    case 'done':
      return refusal.status;
    case 'leaseHeld':
      throw new LeaseHeldError(eventId, refusal.leaseExpiresAt);
    case 'leaseLost':
      throw new LeaseLostError(eventId);
    default:
      throw new CommitConflictError(`The ledger item of ${eventId} changed during the write; it will be retried`);
  }
}

/**
 * The shape of a claim's write: every event's writes take one of a few, so each is kept by a short key
 * and its long texts are neither built nor hashed again. The key names all the texts depend on.
 */
function claimShape(parts: UpdateParts, states: readonly ClaimableState[], claim: Claim, event: LedgerEvent, mark: DeliveryMark | undefined): ExpressionShape {
  const forced = claim.kind !== 'holder' && claim.force === true;
  return cachedShape(`${parts.write} ${claim.kind} ${forced} ${mark} ${commonVariant(event)}`, () => ({ update: updateText(parts, mark), condition: conditionOf(states, mark) }));
}

/** A write's update expression, with its delivery counted (and logged) when `mark` says so. */
function updateText({ set, add, remove }: UpdateParts, mark?: DeliveryMark): string {
  const sets = mark === 'countAndLog' ? `${set}, ${LOG_DELIVERY}` : set;
  const adds = mark ? (add ? `${add}, ${COUNT_DELIVERY}` : COUNT_DELIVERY) : add;
  return `SET ${sets}${adds ? ` ADD ${adds}` : ''}${remove?.length ? ` REMOVE ${remove.join(', ')}` : ''}`;
}

/** The condition of a write from `states`; one that logs a delivery also needs room in the log. */
function conditionOf(states: readonly ClaimableState[], mark?: DeliveryMark): string {
  const condition = states.map((state) => CONDITION_OF[state]).join(' OR ');
  return mark === 'countAndLog' ? `(${condition}) AND ${LOG_HAS_ROOM}` : condition;
}

/** Every value a condition may use; `expression` keeps those it does. */
function claimValues(claim: Claim, now: number): Record<string, unknown> {
  return {
    ':failed': 'failed',
    ':processing': 'processing',
    ':completed': 'completed',
    ':ignored': 'ignored',
    ':nowMs': now,
    ...(claim.kind === 'direct' ? {} : { ':owner': claim.owner }),
  };
}

/**
 * An update expression with its placeholders: every `#name` stands for the attribute `name` (so no
 * reserved word ever trips it), and only the values the text uses are sent, as DynamoDB requires.
 * A value is looked up in `valueSources` from the last to the first, as if they were merged in order.
 * They are not merged: on Node 20 (the local stack) `{ ...a, ...b }` costs about 5 µs, and every
 * event's ledger write would pay it; Lambda's Node 24 does not.
 */
function expression({ update, condition, names, valuePlaceholders }: ExpressionShape, ...valueSources: readonly Readonly<Record<string, unknown>>[]) {
  const used: Record<string, unknown> = {};
  let anyUsed = false;
  for (const placeholder of valuePlaceholders) {
    for (let index = valueSources.length - 1; index >= 0; index--) {
      const source = valueSources[index]!;
      if (!Object.hasOwn(source, placeholder)) continue;
      used[placeholder] = source[placeholder];
      anyUsed = true;
      break;
    }
  }
  return {
    UpdateExpression: update,
    ...(condition ? { ConditionExpression: condition } : {}),
    // Shared by every write of this shape, and frozen so that nothing can change it for the others.
    ExpressionAttributeNames: names,
    // DynamoDB refuses an empty map of values.
    ...(anyUsed ? { ExpressionAttributeValues: attributeMap(used, { removeUndefinedValues: true }) } : {}),
  };
}

/** An update and its condition, with the placeholders they use. */
interface ExpressionShape {
  readonly update: string;
  readonly condition: string | undefined;
  readonly names: Readonly<Record<string, string>>;
  readonly valuePlaceholders: readonly string[];
}

/** The shapes found so far, each kept by a key that tells its texts apart: a few shapes are written for every event. */
const shapeCache = new Map<string, ExpressionShape>();

/** At most this many shapes are kept; they are fixed, so this is a guard, never reached in practice. */
const MAX_CACHED_SHAPES = 256;

/** The shape of these texts, kept by the texts themselves. */
function shapeOf(update: string, condition: string | undefined): ExpressionShape {
  return cachedShape(`${update} ${condition ?? ''}`, () => ({ update, condition }));
}

/** The shape kept by `key`, or the one `texts` make, with its placeholders found once. */
function cachedShape(key: string, texts: () => { update: string; condition: string | undefined }): ExpressionShape {
  let shape = shapeCache.get(key);
  if (!shape) {
    const { update, condition } = texts();
    const text = `${update} ${condition ?? ''}`;
    shape = {
      update,
      condition,
      names: Object.freeze(Object.fromEntries([...new Set(text.match(/#\w+/g) ?? [])].map((placeholder) => [placeholder, placeholder.slice(1)]))),
      // Whole placeholders only: `:one` is not used by a text that has only `:oneMore`.
      valuePlaceholders: [...new Set(text.match(/:\w+/g) ?? [])],
    };
    if (shapeCache.size >= MAX_CACHED_SHAPES) shapeCache.clear();
    shapeCache.set(key, shape);
  }
  return shape;
}
