/**
 * The event ledger in DynamoDB: one item per Stripe event id, and the only code that writes the
 * projections table. It turns "do these writes exactly once" into conditional DynamoDB operations:
 *
 * - `commit` marks the event completed and applies the action's writes in ONE TransactWriteItems, on
 *   the condition that the event is not already done. A crash before it leaves nothing; after it,
 *   everything, and a redelivery finds the event completed. One round trip per event.
 * - `acquireLease` is used first when the action also has effects outside DynamoDB: it marks the event
 *   processing until an expiry, so a second delivery does not run the action alongside.
 *
 * SDK errors are translated here into the pipeline's own errors; nothing above sees DynamoDB types.
 */
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue as DynamoValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { CommitConflictError, LeaseHeldError, LeaseLostError } from '../shared/errors';
import type { Attributes, ProjectionWrite } from './effects';

export type EventStatus = 'processing' | 'completed' | 'ignored' | 'failed';

/** What the ledger needs to know about the event being recorded. */
export interface LedgerEvent {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly livemode: boolean;
  /** When the ingest received it (ISO 8601), from the message attribute. */
  readonly receivedAt?: string;
}

export interface LedgerRecord {
  readonly eventId: string;
  readonly type: string;
  readonly status: EventStatus;
  readonly attempts: number;
  readonly lastError?: string;
  readonly receivedAt?: string;
  readonly processedAt?: string;
  readonly updatedAt: string;
  readonly skippedWrites?: number;
  readonly leaseOwner?: string;
  readonly leaseExpiresAt?: number;
  readonly expiresAt: number;
}

/** How a commit may claim the event: directly, or as the holder of a lease taken earlier. */
export type CommitClaim = { readonly kind: 'direct'; readonly force?: boolean } | { readonly kind: 'lease'; readonly owner: string };

export type CommitResult =
  | { readonly outcome: 'completed'; readonly skippedWrites: number }
  | { readonly outcome: 'duplicate'; readonly status: EventStatus };

export interface LedgerOptions {
  readonly ledgerTableName: string;
  readonly projectionsTableName: string;
  readonly retentionDays: number;
}

/** What the worker core needs of a ledger; decorators (fault injection, local tracing) implement it too. */
export type Ledger = Pick<DynamoLedger, 'commit' | 'commitAll' | 'itemKeys' | 'recordIgnored' | 'acquireLease' | 'recordFailure'>;

/** One event's share of a combined commit. */
export interface CommitEntry {
  readonly event: LedgerEvent;
  readonly writes: readonly ProjectionWrite[];
}

/** Items one TransactWriteItems may hold. */
export const MAX_TRANSACTION_ITEMS = 100;

const MAX_ERROR_LENGTH = 1000;

export class DynamoLedger {
  constructor(private readonly db: DynamoDBClient, private readonly options: LedgerOptions) {}

  /**
   * Marks the event completed and applies `writes`, atomically. A state write whose object already
   * holds a newer version is dropped (and counted in `skippedWrites`), and the commit is retried
   * without it; so is an accounting entry that already exists, together with its totals.
   */
  async commit(event: LedgerEvent, writes: readonly ProjectionWrite[], claim: CommitClaim, now: number): Promise<CommitResult> {
    let remaining = writes.map((write, group) => ({ write, group }));
    for (let pass = 0; pass <= writes.length; pass++) {
      const skippedWrites = writes.length - remaining.length;
      const ledgerItem = this.completionUpdate(event, claim, skippedWrites, now);
      const items: { item: TransactWriteItem; group: number }[] = [{ item: ledgerItem, group: -1 }];
      for (const { write, group } of remaining) {
        for (const item of this.projectionItems(write, event.id, now)) items.push({ item, group });
      }
      try {
        await this.db.send(new TransactWriteItemsCommand({ TransactItems: items.map(({ item }) => item) }));
        return { outcome: 'completed', skippedWrites };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') {
          const previous = reasons[0].Item ? (unmarshall(reasons[0].Item) as Partial<LedgerRecord>) : undefined;
          return this.claimRefused(event.id, claim, previous, now);
        }
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

  /**
   * Commits several events at once (each marked completed with its writes) in ONE TransactWriteItems:
   * the fast path for a batch whose events are all new. Returns false, having written nothing, when
   * any condition fails (a duplicate, a stale write, a conflict): the caller then commits those events
   * one by one, where each case is handled. The entries must not touch the same item twice.
   */
  async commitAll(entries: readonly CommitEntry[], now: number): Promise<boolean> {
    const items = entries.flatMap(({ event, writes }) => [
      this.completionUpdate(event, { kind: 'direct' }, 0, now),
      ...writes.flatMap((write) => this.projectionItems(write, event.id, now)),
    ]);
    if (items.length > MAX_TRANSACTION_ITEMS) throw new RangeError(`${items.length} items exceed one transaction`);
    try {
      await this.db.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }

  /** The items a commit of these writes touches, as `table|key` strings, to keep a combined commit free of repeats. */
  itemKeys(eventId: string, writes: readonly ProjectionWrite[]): string[] {
    const projection = (key: { pk: string; sk: string }) => `${this.options.projectionsTableName}|${key.pk}|${key.sk}`;
    return [
      `${this.options.ledgerTableName}|${eventId}`,
      ...writes.flatMap((write) => [projection(write.key), ...(write.kind === 'entry' ? write.totals.map((total) => projection(total.key)) : [])]),
    ];
  }

  /** Records an event whose type has no handler. Returns 'duplicate' if the event was already done. */
  async recordIgnored(event: LedgerEvent, now: number): Promise<'ignored' | 'duplicate'> {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.options.ledgerTableName,
          Key: marshall({ eventId: event.id }),
          ...expression(
            'SET #status = :ignored, processedAt = :nowIso, ' + this.commonSets,
            'attribute_not_exists(eventId) OR #status = :failed',
            { ...this.commonValues(event, now), ':ignored': 'ignored', ':failed': 'failed', ':one': 1 },
            'ADD attempts :one',
          ),
        }),
      );
      return 'ignored';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'duplicate';
      throw error;
    }
  }

  /**
   * Takes the lease on an event for `leaseMs`. Returns 'duplicate' when the event is already done, and
   * throws LeaseHeldError when another delivery holds a live lease.
   */
  async acquireLease(event: LedgerEvent, owner: string, leaseMs: number, now: number): Promise<'acquired' | 'duplicate'> {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.options.ledgerTableName,
          Key: marshall({ eventId: event.id }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...expression(
            'SET #status = :processing, leaseOwner = :owner, leaseExpiresAt = :leaseExpiresAt, ' + this.commonSets,
            `attribute_not_exists(eventId) OR #status = :failed OR (#status = :processing AND leaseExpiresAt < :nowMs)`,
            { ...this.commonValues(event, now), ':processing': 'processing', ':failed': 'failed', ':owner': owner, ':leaseExpiresAt': now + leaseMs, ':nowMs': now, ':one': 1 },
            'ADD attempts :one',
          ),
        }),
      );
      return 'acquired';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const previous = error.Item ? (unmarshall(error.Item) as Partial<LedgerRecord>) : undefined;
      if (previous?.status === 'processing') throw new LeaseHeldError(event.id, previous.leaseExpiresAt ?? now);
      return 'duplicate';
    }
  }

  /**
   * Records a failed attempt with its error, unless the event has meanwhile been completed by another
   * delivery. Under a lease, only the lease holder may record, and recording releases the lease.
   */
  async recordFailure(event: LedgerEvent, error: string, claim: CommitClaim, now: number): Promise<void> {
    const direct = claim.kind === 'direct';
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.options.ledgerTableName,
          Key: marshall({ eventId: event.id }),
          ...expression(
            'SET #status = :failed, lastError = :error, ' + this.commonSets + ' REMOVE leaseOwner, leaseExpiresAt',
            direct ? 'attribute_not_exists(eventId) OR NOT (#status IN (:completed, :ignored))' : 'leaseOwner = :owner',
            {
              ...this.commonValues(event, now),
              ':failed': 'failed',
              ':error': error.slice(0, MAX_ERROR_LENGTH),
              ...(direct ? { ':completed': 'completed', ':ignored': 'ignored', ':one': 1 } : { ':owner': claim.owner }),
            },
            // Under a lease the attempt was already counted when the lease was taken.
            direct ? 'ADD attempts :one' : undefined,
          ),
        }),
      );
    } catch (caught) {
      if (!(caught instanceof ConditionalCheckFailedException)) throw caught;
    }
  }

  /** Attributes every ledger write sets. `receivedAt` keeps the first value recorded. */
  private readonly commonSets =
    '#type = :type, created = :created, livemode = :livemode, receivedAt = if_not_exists(receivedAt, :receivedAt), updatedAt = :nowIso, expiresAt = :expiresAt';

  private commonValues(event: LedgerEvent, now: number): Attributes {
    return {
      ':type': event.type,
      ':created': event.created,
      ':livemode': event.livemode,
      ':receivedAt': event.receivedAt ?? new Date(now).toISOString(),
      ':nowIso': new Date(now).toISOString(),
      ':expiresAt': Math.floor(now / 1000) + this.options.retentionDays * 86_400,
    };
  }

  private completionUpdate(event: LedgerEvent, claim: CommitClaim, skippedWrites: number, now: number): TransactWriteItem {
    const values: Attributes = { ...this.commonValues(event, now), ':completed': 'completed', ':skipped': skippedWrites };
    let condition: string;
    if (claim.kind === 'lease') {
      condition = '#status = :processing AND leaseOwner = :owner';
      Object.assign(values, { ':processing': 'processing', ':owner': claim.owner });
    } else {
      // A direct claim may also take over an abandoned lease, and with `force` redo a completed event.
      const redo = claim.force ? ' OR #status IN (:completed, :ignored)' : '';
      condition = `attribute_not_exists(eventId) OR #status = :failed OR (#status = :processing AND leaseExpiresAt < :nowMs)${redo}`;
      Object.assign(values, { ':failed': 'failed', ':processing': 'processing', ':nowMs': now, ':one': 1 }, claim.force ? { ':ignored': 'ignored' } : {});
    }
    return {
      Update: {
        TableName: this.options.ledgerTableName,
        Key: marshall({ eventId: event.id }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ...expression(
          'SET #status = :completed, processedAt = :nowIso, skippedWrites = :skipped, ' + this.commonSets + ' REMOVE leaseOwner, leaseExpiresAt',
          condition,
          values,
          claim.kind === 'direct' ? 'ADD attempts :one' : undefined,
        ),
      },
    };
  }

  private claimRefused(eventId: string, claim: CommitClaim, previous: Partial<LedgerRecord> | undefined, now: number): CommitResult {
    if (claim.kind === 'lease') throw new LeaseLostError(eventId);
    if (previous?.status === 'processing') throw new LeaseHeldError(eventId, previous.leaseExpiresAt ?? now);
    return { outcome: 'duplicate', status: previous?.status ?? 'completed' };
  }

  private projectionItems(write: ProjectionWrite, eventId: string, now: number): TransactWriteItem[] {
    const TableName = this.options.projectionsTableName;
    const updatedAt = new Date(now).toISOString();
    if (write.kind === 'state') {
      const attributes = { ...write.attributes, stateVersion: write.version, sourceEventId: eventId, updatedAt };
      return [
        {
          Update: {
            TableName,
            Key: marshall(write.key),
            ...setAll(attributes, 'attribute_not_exists(#stateVersion) OR #stateVersion <= :stateVersion'),
          },
        },
      ];
    }
    return [
      {
        Put: {
          TableName,
          Item: marshall({ ...write.key, ...write.attributes, recordedAt: updatedAt }, { removeUndefinedValues: true }),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...write.totals.map(
        (total): TransactWriteItem => ({
          Update: { TableName, Key: marshall(total.key), ...addAll(total.add, { ...total.set, updatedAt }) },
        }),
      ),
    ];
  }
}

type Expression = {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, DynamoValue>;
};

/** A ledger update expression. `#status` and `#type` are DynamoDB reserved words, hence the names. */
function expression(set: string, condition: string, values: Attributes, add?: string): Expression {
  const text = `${set}${add ? ` ${add}` : ''} ${condition}`;
  const names: Record<string, string> = {};
  for (const name of ['status', 'type']) if (text.includes(`#${name}`)) names[`#${name}`] = name;
  const usedValues = Object.fromEntries(Object.entries(values).filter(([placeholder]) => new RegExp(`${placeholder}\\b`).test(text)));
  return {
    UpdateExpression: add ? `${set} ${add}` : set,
    ConditionExpression: condition,
    ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
    ExpressionAttributeValues: marshall(usedValues, { removeUndefinedValues: true }),
  };
}

/** `SET #a0 = :a0, #a1 = :a1, …` for every defined attribute (names are placeholders: no reserved-word trouble). */
function setAll(attributes: Attributes, condition: string): Expression {
  const names: Record<string, string> = { '#stateVersion': 'stateVersion' };
  const values: Record<string, unknown> = { ':stateVersion': attributes.stateVersion };
  const assignments: string[] = [];
  Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .forEach(([name, value], index) => {
      names[`#a${index}`] = name;
      values[`:a${index}`] = value;
      assignments.push(`#a${index} = :a${index}`);
    });
  return {
    UpdateExpression: `SET ${assignments.join(', ')}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: marshall(values),
  };
}

/** `ADD #n0 :n0, … SET #s0 = :s0, …` for running totals. */
function addAll(add: Readonly<Record<string, number>>, set: Attributes): Expression {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const adds = Object.entries(add).map(([name, value], index) => {
    names[`#n${index}`] = name;
    values[`:n${index}`] = value;
    return `#n${index} :n${index}`;
  });
  const sets = Object.entries(set)
    .filter(([, value]) => value !== undefined)
    .map(([name, value], index) => {
      names[`#s${index}`] = name;
      values[`:s${index}`] = value;
      return `#s${index} = :s${index}`;
    });
  return {
    UpdateExpression: `ADD ${adds.join(', ')}${sets.length ? ` SET ${sets.join(', ')}` : ''}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: marshall(values),
  };
}
