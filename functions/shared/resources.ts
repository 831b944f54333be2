/**
 * The one definition of the pipeline's queues and tables. The CDK stack and the local stack both build
 * their resources from these objects, so the emulated queues and tables cannot drift from production.
 *
 * Pure data: no SDK or CDK imports here.
 */

/** SQS's maximum message size (body plus attributes). The ingest answers 413 above it. */
export const MAX_MESSAGE_BYTES = 1_048_576;

export interface QueueDefinition {
  /** Name suffix; the stack prefixes it with the stage, e.g. `prod-stripe-events`. */
  readonly name: string;
  /** @default 30 s: locally retries must come within seconds. The CDK stack sets 6× the worker timeout. */
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  readonly maxMessageBytes: number;
}

export interface PipelineQueues {
  readonly events: QueueDefinition;
  readonly deadLetters: QueueDefinition;
  /** Receives after which SQS moves a message to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

export const QUEUES: PipelineQueues = {
  events: {
    name: 'stripe-events',
    visibilityTimeoutSeconds: 30,
    // Longer than Stripe's 3-day retry window, so a backlog built during a long outage is not dropped;
    // shorter than the DLQ's, because a dead-lettered message keeps its original age.
    retentionSeconds: 7 * 24 * 3600,
    maxMessageBytes: MAX_MESSAGE_BYTES,
  },
  deadLetters: {
    name: 'stripe-events-dlq',
    visibilityTimeoutSeconds: 30,
    // The longest SQS allows: operators get two weeks to notice and replay a failed event.
    retentionSeconds: 14 * 24 * 3600,
    maxMessageBytes: MAX_MESSAGE_BYTES,
  },
  maxReceiveCount: 5,
};

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

/**
 * A global secondary index. `projection`: every attribute (`ALL`), the keys only (`KEYS_ONLY`), or the
 * keys and the attributes listed. An index is written whenever a base write changes one of its
 * attributes, so a narrow projection of attributes that never change costs one index write per event.
 */
export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** @default 'ALL' */
  readonly projection?: 'ALL' | 'KEYS_ONLY' | readonly string[];
}

export interface TableDefinition {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attribute holding an epoch-seconds expiry, if the table uses TTL. */
  readonly ttlAttribute?: string;
  readonly indexes?: readonly IndexDefinition[];
}

/**
 * The ledger's dead letters: a sparse index holding only the events whose message went to the
 * dead-letter queue, so that listing them reads neither the queue nor the whole ledger. The key is
 * spread over a few shards, so that a burst of dead letters (a downstream outage fails thousands of
 * events at once) never makes one hot index partition, which would throttle the ledger's own writes.
 */
export const DEAD_LETTER_INDEX = {
  name: 'dead-letters',
  partitionKey: { name: 'deadLetterShard', type: 'S' },
  sortKey: { name: 'deadLetteredAt', type: 'S' },
  shards: 10,
} as const satisfies IndexDefinition & { shards: number };

/**
 * Events by the hour they were received, for listing a time range (and a type within it) without
 * scanning the ledger. The key is `<hour>#<shard>`, e.g. `2026-11-24T10#7`: sixteen shards keep each
 * partition under DynamoDB's 1,000 writes a second at SCALING.md's 10,000 events a second (625 each).
 * Only `type` is projected: it never changes, so the index is written once per event, whatever the
 * ledger's later writes; a listing reads the rest of each event from the ledger by key.
 */
export const RECEIVED_INDEX = {
  name: 'received-by-hour',
  partitionKey: { name: 'receivedHour', type: 'S' },
  sortKey: { name: 'receivedAt', type: 'S' },
  projection: ['type'],
  shards: 16,
} as const satisfies IndexDefinition & { shards: number };

/**
 * The events whose last attempt failed (status `failed`): a sparse index, like the dead letters', so
 * that `--status failed` reads only them. `failedShard` is set with that status and removed with any
 * other.
 */
export const FAILED_INDEX = {
  name: 'failed-events',
  partitionKey: { name: 'failedShard', type: 'S' },
  sortKey: { name: 'receivedAt', type: 'S' },
  shards: 10,
} as const satisfies IndexDefinition & { shards: number };

/**
 * Events by the Stripe object they are about (`data.object.id`, or a thin event's `related_object.id`:
 * `pi_…`, `sub_…`, `cus_…`, `in_…`), for searching by object id. Keys only: written once per event.
 */
export const OBJECT_INDEX = {
  name: 'by-object',
  partitionKey: { name: 'objectId', type: 'S' },
  sortKey: { name: 'receivedAt', type: 'S' },
  projection: 'KEYS_ONLY',
} as const satisfies IndexDefinition;

/** An event's shard among `shards` (FNV-1a of its id): spread evenly, the same every time. */
export function eventShard(eventId: string, shards: number): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < eventId.length; index++) hash = Math.imul(hash ^ eventId.charCodeAt(index), 0x01000193) >>> 0;
  return String(hash % shards);
}

/** The dead-letter index shard of an event. */
export function deadLetterShard(eventId: string): string {
  return eventShard(eventId, DEAD_LETTER_INDEX.shards);
}

/** The failed-events index shard of an event. */
export function failedShard(eventId: string): string {
  return eventShard(eventId, FAILED_INDEX.shards);
}

/** The received-by-hour index key of an event received at `receivedAt` (ISO 8601, UTC). */
export function receivedHour(eventId: string, receivedAt: string): string {
  return `${receivedAt.slice(0, 13)}#${eventShard(eventId, RECEIVED_INDEX.shards)}`;
}

/** The event ledger: one item per Stripe event id, the source of truth for "done exactly once". */
export const LEDGER_TABLE: TableDefinition = {
  name: 'stripe-event-ledger',
  partitionKey: { name: 'eventId', type: 'S' },
  ttlAttribute: 'expiresAt',
  indexes: [DEAD_LETTER_INDEX, RECEIVED_INDEX, FAILED_INDEX, OBJECT_INDEX],
};

/**
 * The business projections written by the reference actions (payments, orders, customers, disputes,
 * balance, accounting). Single-table design: `pk` names the object, `sk` the facet of it.
 */
export const PROJECTIONS_TABLE: TableDefinition = {
  name: 'stripe-projections',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
};

/**
 * The pipeline's own small state, one item per `key`: today the reconcile job's checkpoint (how far
 * the Events API has been compared with the ledger, and where a scan that stopped will resume). Kept
 * apart from the ledger so that nothing reading events ever meets it.
 */
export const STATE_TABLE: TableDefinition = {
  name: 'stripe-pipeline-state',
  partitionKey: { name: 'key', type: 'S' },
};

/** The stage's secrets, named `<stage>/<name>`: the signing secrets the ingest reads, and the Stripe API key. */
export const SECRETS = {
  signingSecrets: { name: 'stripe/webhook-signing-secrets' },
  apiKey: { name: 'stripe/api-key' },
} as const;

/** A stage secret's name, e.g. `secretName('prod', SECRETS.apiKey)` → `prod/stripe/api-key`. */
export function secretName(stage: string, secret: { readonly name: string }): string {
  return `${stage}/${secret.name}`;
}

/** Physical resource name for a stage, e.g. `resourceName('dev', QUEUES.events)` → `dev-stripe-events`. */
export function resourceName(stage: string, resource: { readonly name: string }): string {
  return `${stage}-${resource.name}`;
}
