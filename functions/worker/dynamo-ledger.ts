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
import { CommitConflictError, LeaseHeldError, LeaseLostError } from '../shared/errors';
import { deadLetterShard } from '../shared/resources';
import { attributeMap } from './attribute-values';
import type { ProjectionWrite } from './effects';
import type { CombinedCommit, CommitEntry, CommitResult, Ledger, LedgerEvent } from './ledger';
import {
  explainRefusal,
  failureFrom,
  finishFrom,
  leaseFrom,
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
}

/** What a refused write reads of the item as it was. */
type RefusedItem = LedgerState & { readonly deadLetteredAt?: string; readonly thinEventId?: string };

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

export class DynamoLedger implements Ledger {
  constructor(private readonly db: DynamoDBClient, private readonly options: DynamoLedgerOptions) {}

  async commit(event: LedgerEvent, writes: readonly ProjectionWrite[], claim: DirectClaim | HolderClaim, now: number): Promise<CommitResult> {
    let remaining = writes.map((write, group) => ({ write, group }));
    for (let pass = 0; pass <= writes.length; pass++) {
      const skippedWrites = writes.length - remaining.length;
      const items: { item: TransactWriteItem; group: number }[] = [{ item: this.completion(event, claim, skippedWrites, now), group: -1 }];
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
          return { outcome: 'duplicate', status: await this.acknowledgeDone(event, explainRefusal(claim, record, now), record) };
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
      set: `#status = :ignored, #processedAt = :nowIso, ${this.common(event)}`,
      add: '#attempts :one',
      remove: LEASE_AND_DEAD_LETTER,
    });
    if (!refusal) return 'ignored';
    await this.acknowledgeDone(event, explainRefusal(claim, refusal, now), refusal);
    return 'duplicate';
  }

  async acquireLease(event: LedgerEvent, claim: LeaseClaim, leaseMs: number, now: number): Promise<'acquired' | 'duplicate'> {
    const refusal = await this.update(event, claim, leaseFrom(claim), now, {
      set: `#status = :processing, #leaseOwner = :owner, #leaseExpiresAt = :leaseExpiresAt, ${this.common(event)}`,
      add: '#attempts :one',
      values: { ':leaseExpiresAt': now + leaseMs },
    });
    if (!refusal) return 'acquired';
    const explained = explainRefusal(claim, refusal, now);
    if (explained.kind === 'alreadyOurs') return 'acquired';
    await this.acknowledgeDone(event, explained, refusal);
    return 'duplicate';
  }

  async recordFailure(event: LedgerEvent, error: string, claim: Claim, now: number): Promise<void> {
    await this.update(event, claim, failureFrom(claim), now, {
      set: `#status = :failed, #lastError = :error, ${this.common(event)}`,
      // A holder's attempt was counted when it took the lease.
      add: claim.kind === 'holder' ? undefined : '#attempts :one',
      remove: LEASE_AND_DEAD_LETTER,
      values: { ':error': error.slice(0, MAX_ERROR_LENGTH) },
    });
  }

  async markDeadLettered(event: LedgerEvent, receiveCount: number, now: number): Promise<void> {
    // No condition: whatever the status, the message is on its way to the dead-letter queue. An event
    // the ledger never recorded (it was unreachable) is created as failed.
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.options.ledgerTableName,
        Key: attributeMap({ eventId: event.id }),
        ...expression(
          `SET #deadLetteredAt = :nowIso, #deadLetterShard = :shard, #deadLetterReceiveCount = :receiveCount, #status = if_not_exists(#status, :failed), #attempts = if_not_exists(#attempts, :receiveCount), ${this.common(event)}`,
          undefined,
          this.commonValues(event, now),
          { ':shard': deadLetterShard(event.id), ':receiveCount': receiveCount, ':failed': 'failed' },
        ),
      }),
    );
  }

  /**
   * One conditional UpdateItem of the ledger item. Returns undefined when it was applied, or the item
   * as it was when the condition refused it.
   */
  private async update(
    event: LedgerEvent,
    claim: Claim,
    states: readonly ClaimableState[],
    now: number,
    parts: { set: string; add?: string; remove?: readonly string[]; values?: Record<string, unknown> },
  ): Promise<RefusedItem | undefined> {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.options.ledgerTableName,
          Key: attributeMap({ eventId: event.id }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...expression(updateText(parts), conditionOf(states), this.commonValues(event, now), claimValues(claim, now), parts.values ?? {}),
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
   * thin notification folded into the done event leaves its id beside the event's.
   * @throws what says to retry, when the refusal is not "done"
   */
  private async acknowledgeDone(event: LedgerEvent, refusal: Refusal, record: RefusedItem | undefined) {
    const status = statusIfDone(event.id, refusal);
    const thinEventId = event.thinEventId && record?.thinEventId !== event.thinEventId ? event.thinEventId : undefined;
    if (record?.deadLetteredAt || thinEventId) {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.options.ledgerTableName,
          Key: attributeMap({ eventId: event.id }),
          ...expression(
            [thinEventId ? 'SET #thinEventId = :thinEventId' : '', record?.deadLetteredAt ? `REMOVE ${DEAD_LETTER_NOTE.join(', ')}` : ''].join(' ').trim(),
            'attribute_exists(#eventId)',
            { ':thinEventId': thinEventId },
          ),
        }),
      ).catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
    }
    return status;
  }

  async doneStatus(event: LedgerEvent): Promise<'completed' | 'ignored' | undefined> {
    const { Item } = await this.db.send(
      new GetItemCommand({
        TableName: this.options.ledgerTableName,
        Key: attributeMap({ eventId: event.id }),
        ConsistentRead: true,
        ProjectionExpression: '#status, #thinEventId, #deadLetteredAt',
        ExpressionAttributeNames: { '#status': 'status', '#thinEventId': 'thinEventId', '#deadLetteredAt': 'deadLetteredAt' },
      }),
    );
    const item = Item ? (unmarshall(Item) as RefusedItem) : undefined;
    const status = item?.status;
    if (status !== 'completed' && status !== 'ignored') return undefined;
    await this.acknowledgeDone(event, { kind: 'done', status }, item);
    return status;
  }

  private completion(event: LedgerEvent, claim: DirectClaim | HolderClaim, skippedWrites: number, now: number): TransactWriteItem {
    return {
      Update: {
        TableName: this.options.ledgerTableName,
        Key: attributeMap({ eventId: event.id }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ...expression(
          updateText({
            set: `#status = :completed, #processedAt = :nowIso, #skippedWrites = :skipped, ${this.common(event)}`,
            // A holder's attempt was counted when it took the lease.
            add: claim.kind === 'direct' ? '#attempts :one' : undefined,
            remove: LEASE_AND_DEAD_LETTER,
          }),
          conditionOf(finishFrom(claim)),
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
          this.completion(entry.event, { kind: 'direct' }, 0, now),
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

  /** Attributes every ledger write sets. `receivedAt` keeps the first value recorded. */
  private common(event: LedgerEvent): string {
    return (
      '#type = :type, #created = :created, #livemode = :livemode, #source = :source, #form = :form, ' +
      '#receivedAt = if_not_exists(#receivedAt, :receivedAt), #updatedAt = :nowIso, #expiresAt = :expiresAt' +
      (event.account ? ', #account = :account' : '') +
      (event.thinEventId ? ', #thinEventId = :thinEventId' : '')
    );
  }

  private commonValues(event: LedgerEvent, now: number): Record<string, unknown> {
    return {
      ':type': event.type,
      ':created': event.created,
      ':livemode': event.livemode,
      ':source': event.source,
      ':form': event.form ?? 'snapshot',
      ':account': event.account,
      ':thinEventId': event.thinEventId,
      ':receivedAt': event.receivedAt ?? new Date(now).toISOString(),
      ':nowIso': new Date(now).toISOString(),
      ':expiresAt': Math.floor(now / 1000) + this.options.retentionDays * 86_400,
      ':one': 1,
    };
  }
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

function updateText({ set, add, remove }: { set: string; add?: string; remove?: readonly string[] }): string {
  return `SET ${set}${add ? ` ADD ${add}` : ''}${remove?.length ? ` REMOVE ${remove.join(', ')}` : ''}`;
}

function conditionOf(states: readonly ClaimableState[]): string {
  return states.map((state) => CONDITION_OF[state]).join(' OR ');
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
function expression(update: string, condition: string | undefined, ...valueSources: readonly Readonly<Record<string, unknown>>[]) {
  const { names, valuePlaceholders } = placeholdersOf(update, condition);
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

/** The placeholders of each expression text, found once: the texts are a few shapes written for every event. */
const placeholderCache = new Map<string, { readonly names: Readonly<Record<string, string>>; readonly valuePlaceholders: readonly string[] }>();

/** At most this many texts are kept; the shapes are fixed, so this is a guard, never reached in practice. */
const MAX_CACHED_TEXTS = 256;

function placeholdersOf(update: string, condition: string | undefined) {
  const text = `${update} ${condition ?? ''}`;
  let found = placeholderCache.get(text);
  if (!found) {
    found = {
      names: Object.freeze(Object.fromEntries([...new Set(text.match(/#\w+/g) ?? [])].map((placeholder) => [placeholder, placeholder.slice(1)]))),
      // Whole placeholders only: `:one` is not used by a text that has only `:oneMore`.
      valuePlaceholders: [...new Set(text.match(/:\w+/g) ?? [])],
    };
    if (placeholderCache.size >= MAX_CACHED_TEXTS) placeholderCache.clear();
    placeholderCache.set(text, found);
  }
  return found;
}
