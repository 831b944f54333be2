/**
 * Reading and replaying the dead-letter queue over the plain SQS API, so it works on AWS and against
 * any emulator. Used by `npm run redrive` and by the local ops API.
 *
 * Replaying an event that already completed is safe: the worker recognises it by its Stripe event id.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MESSAGE_ATTRIBUTE } from '../functions/shared/message';

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

export interface ScanOptions {
  /** Stop after this many messages. @default 10 000 */
  readonly limit?: number;
  /** How long scanned messages stay hidden while the scan runs. @default 30 s */
  readonly holdSeconds?: number;
}

export interface MoveOptions extends ScanOptions {
  readonly from: string;
  readonly to: string;
  readonly filter?: DeadLetterFilter;
  /** List what would move, move nothing. */
  readonly dryRun?: boolean;
  /** Mark moved messages so the worker processes them even if their event already completed. */
  readonly force?: boolean;
  /** Called after each batch; awaited, so it can also pace the move. */
  readonly onProgress?: (progress: { scanned: number; moved: number }) => void | Promise<void>;
}

export interface MoveResult {
  readonly scanned: number;
  readonly matched: readonly DeadLetter[];
  readonly moved: number;
}

/** Lists the dead letters without consuming them: every message seen is made visible again at the end. */
export async function peekDeadLetters(sqs: SQSClient, queueUrl: string, options: ScanOptions = {}): Promise<DeadLetter[]> {
  const seen: Message[] = [];
  try {
    for await (const batch of receiveEverything(sqs, queueUrl, options)) seen.push(...batch);
    return seen.map(toDeadLetter);
  } finally {
    await release(sqs, queueUrl, seen);
  }
}

/**
 * Moves matching messages from one queue to another by receive, send and delete (send first: a crash
 * in between leaves a duplicate, which the worker ignores, never a loss). Messages that do not match
 * are made visible again.
 */
export async function moveDeadLetters(sqs: SQSClient, options: MoveOptions): Promise<MoveResult> {
  const skipped: Message[] = [];
  const matched: DeadLetter[] = [];
  let scanned = 0;
  let moved = 0;
  try {
    for await (const batch of receiveEverything(sqs, options.from, options)) {
      scanned += batch.length;
      const selected = batch.filter((message) => matches(toDeadLetter(message), options.filter));
      skipped.push(...batch.filter((message) => !selected.includes(message)));
      matched.push(...selected.map(toDeadLetter));
      if (options.dryRun) {
        skipped.push(...selected);
      } else if (selected.length > 0) {
        await sendCopies(sqs, options.to, selected, options.force ?? false);
        await deleteMessages(sqs, options.from, selected);
        moved += selected.length;
      }
      await options.onProgress?.({ scanned, moved });
    }
  } finally {
    await release(sqs, options.from, skipped);
  }
  return { scanned, matched, moved };
}

function matches(letter: DeadLetter, filter: DeadLetterFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.eventIds && filter.eventIds.length > 0 && !filter.eventIds.includes(letter.eventId)) return false;
  if (filter.type && filter.type !== letter.type) return false;
  return true;
}

async function* receiveEverything(sqs: SQSClient, queueUrl: string, options: ScanOptions): AsyncGenerator<Message[]> {
  const limit = options.limit ?? 10_000;
  let count = 0;
  while (count < limit) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, limit - count),
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

export function toDeadLetter(message: Message): DeadLetter {
  const attributes = message.MessageAttributes ?? {};
  let eventId = attributes[MESSAGE_ATTRIBUTE.eventId]?.StringValue;
  let type = attributes[MESSAGE_ATTRIBUTE.eventType]?.StringValue;
  if (!eventId || !type) {
    // A message without attributes (sent by hand): read them from the body if it is an event.
    try {
      const parsed = JSON.parse(message.Body ?? '') as { id?: unknown; type?: unknown };
      eventId ??= typeof parsed.id === 'string' ? parsed.id : undefined;
      type ??= typeof parsed.type === 'string' ? parsed.type : undefined;
    } catch {
      // Not JSON: listed as unknown.
    }
  }
  return {
    messageId: message.MessageId ?? '',
    eventId: eventId ?? 'unknown',
    type: type ?? 'unknown',
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    body: message.Body ?? '',
  };
}

async function sendCopies(sqs: SQSClient, queueUrl: string, messages: Message[], force: boolean): Promise<void> {
  const { Failed = [] } = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((message, index) => ({
        Id: String(index),
        MessageBody: message.Body ?? '',
        MessageAttributes: copyAttributes(message.MessageAttributes, force),
      })),
    }),
  );
  if (Failed.length > 0) throw new Error(`SQS refused ${Failed.length} of ${messages.length} messages: ${Failed[0]?.Message ?? Failed[0]?.Code}`);
}

function copyAttributes(attributes: Record<string, MessageAttributeValue> | undefined, force: boolean): Record<string, MessageAttributeValue> {
  const copy: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value.StringValue !== undefined) copy[name] = { DataType: value.DataType ?? 'String', StringValue: value.StringValue };
  }
  if (force) copy[MESSAGE_ATTRIBUTE.forceReprocess] = { DataType: 'String', StringValue: 'true' };
  return copy;
}

async function deleteMessages(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  const { Failed = [] } = await sqs.send(
    new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }),
  );
  if (Failed.length > 0) throw new Error(`Could not delete ${Failed.length} moved messages; they will be delivered twice (harmless)`);
}

/** Makes held messages visible again, ten at a time. */
async function release(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
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
