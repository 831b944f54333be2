/**
 * The dead-letter queue: listing it without touching its messages, and moving selected messages back
 * to the event queue. Used by the redrive CLI, the local ops API and the stage console.
 *
 * Listing reads the ledger, never the queue's messages: receiving them to look would raise their
 * receive counts and hide them from a concurrent redrive while the listing runs. The worker notes an
 * event in the ledger's dead-letter index on the attempt whose failure sends it to the dead-letter
 * queue, and clears the note when the event is next processed (after a redrive). The queue's own
 * message count, which SQS gives without receiving, is listed beside it: messages the ledger could not
 * note (not a readable event, or dead-lettered before this version) show as the difference.
 *
 * Moving must receive (SQS has no other way to take a message out): matching messages are sent to
 * the target queue, then deleted; the rest are made visible again.
 */
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { MESSAGE_ATTRIBUTE, messageSize, sizedBatches } from '../functions/shared/message';
import { DEAD_LETTER_INDEX, QUEUES } from '../functions/shared/resources';
import type { LedgerRecord } from '../functions/worker/ledger';
import { eventSummary, type EventSummary } from './ledger-reads';
import type { PipelineResources } from './stage';

export interface ListedDeadLetter extends EventSummary {
  readonly deadLetteredAt: string;
  /** Receives before it was dead-lettered. */
  readonly receiveCount: number;
}

export interface DeadLetterListing {
  /** The events the ledger notes as dead-lettered, newest first. */
  readonly letters: readonly ListedDeadLetter[];
  /** Messages in the dead-letter queue (visible and in flight), as SQS counts them: approximately. */
  readonly queued: number;
}

/**
 * Lists dead letters from the ledger's dead-letter index, and the queue's message count. Receives no
 * message. Notes older than the dead-letter queue's retention are left out: SQS has deleted those
 * messages.
 */
export async function listDeadLetters(
  clients: { readonly db: DynamoDBClient; readonly sqs: SQSClient },
  resources: Pick<PipelineResources, 'ledgerTableName' | 'deadLetterQueueUrl'>,
  options: { readonly limit?: number; readonly now?: number } = {},
): Promise<DeadLetterListing> {
  const limit = options.limit ?? 1000;
  const oldest = (options.now ?? Date.now()) - QUEUES.deadLetters.retentionSeconds * 1000;
  const shards = Array.from({ length: DEAD_LETTER_INDEX.shards }, (_, shard) => String(shard));
  const [pages, queued] = await Promise.all([
    Promise.all(
      shards.map((shard) =>
        clients.db.send(
          new QueryCommand({
            TableName: resources.ledgerTableName,
            IndexName: DEAD_LETTER_INDEX.name,
            KeyConditionExpression: '#shard = :shard',
            ExpressionAttributeNames: { '#shard': DEAD_LETTER_INDEX.partitionKey.name },
            ExpressionAttributeValues: { ':shard': { S: shard } },
            ScanIndexForward: false,
            Limit: limit,
          }),
        ),
      ),
    ),
    queueDepth(clients.sqs, resources.deadLetterQueueUrl),
  ]);
  const letters = pages
    .flatMap((page) => (page.Items ?? []).map((item) => unmarshall(item) as LedgerRecord))
    .filter((record) => Date.parse(record.receivedAt ?? record.deadLetteredAt!) >= oldest)
    .sort((a, b) => b.deadLetteredAt!.localeCompare(a.deadLetteredAt!))
    .slice(0, limit)
    .map((record) => ({ ...eventSummary(record), deadLetteredAt: record.deadLetteredAt!, receiveCount: record.deadLetterReceiveCount ?? 0 }));
  return { letters, queued };
}

/** Visible and in-flight messages of a queue, from its attributes (no message is received). */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** A message as the move sees it. */
export interface DeadLetter {
  readonly messageId: string;
  readonly eventId: string;
  readonly type: string;
  readonly receiveCount: number;
  readonly body: string;
}

export interface DeadLetterFilter {
  readonly eventIds?: readonly string[];
  readonly type?: string;
}

export interface MoveOptions {
  readonly from: string;
  readonly to: string;
  readonly filter?: DeadLetterFilter;
  /** List what would move, move nothing. */
  readonly dryRun?: boolean;
  /** Mark moved messages so the worker processes them even if their event already completed. */
  readonly force?: boolean;
  /** Stop after this many messages. @default 10 000 */
  readonly limit?: number;
  /** How long received messages stay hidden while the move runs. @default 30 s */
  readonly holdSeconds?: number;
  /** Called after each received batch; awaited, so it can also pace the move. */
  readonly onProgress?: (progress: { scanned: number; moved: number }) => void | Promise<void>;
}

export interface MoveResult {
  readonly scanned: number;
  readonly matched: readonly DeadLetter[];
  readonly moved: number;
  /** Messages SQS refused to take (they stay in the source queue, visible again at once). */
  readonly failed: readonly { readonly eventId: string; readonly reason: string }[];
  /** Event ids asked for by the filter that no message in the queue carries. */
  readonly notFound: readonly string[];
}

/**
 * Moves matching messages from one queue to another by receive, send and delete (send first: a crash
 * in between leaves a duplicate, which the worker ignores, never a loss). Sends are packed by size as
 * well as by count, as SQS limits a whole SendMessageBatch to 1 MiB. Every message that does not move
 * (it does not match, or SQS refused it) is made visible again as soon as the scan is over, not when
 * the hold ends; not before, or the scan would meet it twice.
 */
export async function moveDeadLetters(sqs: SQSClient, options: MoveOptions): Promise<MoveResult> {
  const skipped: Message[] = [];
  const matched: DeadLetter[] = [];
  const failed: { eventId: string; reason: string }[] = [];
  let scanned = 0;
  let moved = 0;
  try {
    for await (const batch of receiveEverything(sqs, { from: options.from, limit: options.limit ?? 10_000, holdSeconds: options.holdSeconds })) {
      scanned += batch.length;
      const selected = batch.filter((message) => matches(toDeadLetter(message), options.filter));
      skipped.push(...batch.filter((message) => !selected.includes(message)));
      matched.push(...selected.map(toDeadLetter));
      if (options.dryRun) {
        skipped.push(...selected);
      } else if (selected.length > 0) {
        const result = await sendThenDelete(sqs, options, selected);
        moved += result.moved;
        failed.push(...result.failed);
        // Released with the others when the scan ends: released now, the scan would receive them again.
        skipped.push(...result.notSent);
      }
      await options.onProgress?.({ scanned, moved });
    }
  } finally {
    await release(sqs, options.from, skipped);
  }
  const found = new Set(matched.map((letter) => letter.eventId));
  return { scanned, matched, moved, failed, notFound: (options.filter?.eventIds ?? []).filter((id) => !found.has(id)) };
}

function matches(letter: DeadLetter, filter: DeadLetterFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.eventIds && filter.eventIds.length > 0 && !filter.eventIds.includes(letter.eventId)) return false;
  if (filter.type && filter.type !== letter.type) return false;
  return true;
}

/** Receives a queue's messages, ten at a time, until it answers none or `limit` are received; each is held hidden for `holdSeconds`. */
async function* receiveEverything(sqs: SQSClient, options: { readonly from: string; readonly limit: number; readonly holdSeconds?: number }): AsyncGenerator<Message[]> {
  let count = 0;
  while (count < options.limit) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.from,
        MaxNumberOfMessages: Math.min(10, options.limit - count),
        VisibilityTimeout: options.holdSeconds ?? 30,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    if (Messages.length === 0) return;
    count += Messages.length;
    yield Messages;
  }
}

function toDeadLetter(message: Message): DeadLetter {
  const attributes = message.MessageAttributes ?? {};
  let eventId = attributes[MESSAGE_ATTRIBUTE.eventId]?.StringValue;
  let type = attributes[MESSAGE_ATTRIBUTE.eventType]?.StringValue;
  if (!eventId || !type) {
    // A message without attributes (from Amazon EventBridge, or sent by hand): read them from the
    // Stripe event in the body. Not JSON: listed as unknown.
    const event = eventInBody(message.Body ?? '');
    eventId ??= typeof event?.id === 'string' ? event.id : undefined;
    type ??= typeof event?.type === 'string' ? event.type : undefined;
  }
  return {
    messageId: message.MessageId ?? '',
    eventId: eventId ?? 'unknown',
    type: type ?? 'unknown',
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    body: message.Body ?? '',
  };
}

/** The Stripe event (or thin notification) a message body carries, unwrapped from EventBridge's `detail`; undefined when the body is not a JSON object. */
export function eventInBody(body: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { detail } = parsed as { detail?: unknown };
  return (typeof detail === 'object' && detail !== null ? detail : parsed) as Record<string, unknown>;
}

export interface FoundDeadLetter {
  /** The first message that carries one of the ids, if any did. */
  readonly letter?: DeadLetter;
  /** Messages received to look. */
  readonly scanned: number;
}

/**
 * Looks for the message of an event in a queue without moving it (for an event's detail page):
 * receives a batch at a time, held for `holdSeconds`, until a message carries one of `eventIds` (an
 * event's ledger id, or the thin notification folded into it) or `limit` messages are received. Every
 * message received, the one found too, is made visible again as soon as the look ends, not when its
 * hold does: a held message is out of a redrive's reach. Not before the look ends either, or it would
 * receive the same messages again. Each look still adds one to the receive count of every
 * message it receives: it is for one event at a time, never for a listing.
 */
export async function findDeadLetter(sqs: SQSClient, queueUrl: string, eventIds: readonly string[], options: { readonly limit?: number; readonly holdSeconds?: number } = {}): Promise<FoundDeadLetter> {
  const received: Message[] = [];
  try {
    for await (const batch of receiveEverything(sqs, { from: queueUrl, limit: options.limit ?? 1000, holdSeconds: options.holdSeconds })) {
      received.push(...batch);
      const letter = batch.map(toDeadLetter).find((candidate) => eventIds.includes(candidate.eventId));
      if (letter) return { letter, scanned: received.length };
    }
    return { scanned: received.length };
  } finally {
    await release(sqs, queueUrl, received);
  }
}

interface Copy {
  readonly message: Message;
  readonly attributes: Record<string, MessageAttributeValue>;
  readonly size: number;
}

/**
 * Sends copies of `messages` in batches that SQS accepts, and deletes the originals of those it took.
 * Returns the messages SQS refused; on an error, makes every message not yet moved visible again.
 */
async function sendThenDelete(sqs: SQSClient, options: MoveOptions, messages: readonly Message[]) {
  const failed: { eventId: string; reason: string }[] = [];
  const notSent: Message[] = [];
  let moved = 0;
  const batches = sizedBatches(messages.map((message) => copyOf(message, options.force ?? false)));
  for (const [index, batch] of batches.entries()) {
    let result;
    try {
      result = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: options.to,
          Entries: batch.map(({ message, attributes }, entry) => ({ Id: String(entry), MessageBody: message.Body ?? '', MessageAttributes: attributes })),
        }),
      );
    } catch (error) {
      // Whatever has not moved is visible again at once, not after the hold.
      await release(sqs, options.from, batches.slice(index).flat().map(({ message }) => message));
      throw error;
    }
    const refused = new Map((result.Failed ?? []).map((entry) => [Number(entry.Id), entry.Message ?? entry.Code ?? 'refused']));
    const sent: Message[] = [];
    batch.forEach(({ message }, entry) => {
      const reason = refused.get(entry);
      if (reason === undefined) return sent.push(message);
      failed.push({ eventId: toDeadLetter(message).eventId, reason });
      return notSent.push(message);
    });
    moved += await deleteMessages(sqs, options.from, sent);
  }
  return { moved, failed, notSent };
}

function copyOf(message: Message, force: boolean): Copy {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined) attributes[name] = { DataType: value.DataType ?? 'String', StringValue: value.StringValue };
  }
  if (force) attributes[MESSAGE_ATTRIBUTE.forceReprocess] = { DataType: 'String', StringValue: 'true' };
  return { message, attributes, size: messageSize(Buffer.byteLength(message.Body ?? ''), attributes) };
}

/** Deletes moved messages; returns how many. One left behind would only be delivered twice, which the worker ignores. */
async function deleteMessages(sqs: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<number> {
  if (messages.length === 0) return 0;
  const { Failed = [] } = await sqs.send(
    new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }),
  );
  if (Failed.length > 0) throw new Error(`Moved ${messages.length} messages but could not delete ${Failed.length} of them from the source queue; they will be delivered twice (harmless)`);
  return messages.length;
}

/** Makes held messages visible again, ten at a time. */
async function release(sqs: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 })),
      }),
    );
  }
}
