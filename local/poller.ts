/**
 * Plays the part of Lambda's SQS event source mapping on one machine: long-polls the queue, gathers a
 * batch (batch size, batching window), invokes the worker handler with a Lambda-shaped SQS event,
 * deletes the messages that succeeded and leaves the reported failures to reappear after the
 * visibility timeout. After maxReceiveCount receives, the queue's own redrive policy moves a message to
 * the dead-letter queue, as on AWS.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  /** @default 10, as Lambda's default for SQS */
  readonly batchSize?: number;
  /** How long to keep gathering a batch after the first message. @default 100 ms */
  readonly batchingWindowMs?: number;
  /** Batches processed at once, like the mapping's maximum concurrency. @default 2 */
  readonly concurrency?: number;
  /** Told about failures of the poller itself (not of events). */
  readonly onError?: (error: unknown) => void;
}

export interface Poller {
  /** Stops receiving, and resolves once in-flight batches have been answered. */
  stop(): Promise<void>;
}

export function startPoller(options: PollerOptions): Poller {
  const batchSize = options.batchSize ?? 10;
  const windowMs = options.batchingWindowMs ?? 100;
  let running = true;
  const abort = new AbortController();

  /**
   * A long poll for the first messages, then, while the queue keeps answering with as many as asked,
   * more at once; when it answers with fewer (it is drained for now), a wait until the batching window
   * closes and a last look. So a batch goes to the worker when it is full or its window has passed, as
   * with Lambda, for a few receives per batch rather than one every few milliseconds: each receive
   * costs CPU here and in the emulator, which the ingest's answers share on a small machine.
   */
  async function gatherBatch(): Promise<Message[]> {
    const batch: Message[] = [];
    let windowEnd = Infinity;
    while (running && batch.length < batchSize) {
      const wanted = Math.min(10, batchSize - batch.length);
      const { Messages = [] } = await options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: wanted,
          WaitTimeSeconds: batch.length === 0 ? 1 : 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
        { abortSignal: abort.signal },
      );
      if (Messages.length > 0 && batch.length === 0) windowEnd = Date.now() + windowMs;
      batch.push(...Messages);
      if (batch.length === 0 || Messages.length === wanted) continue;
      const left = windowEnd - Date.now();
      if (left <= 0) break;
      await sleep(left);
    }
    return batch;
  }

  async function runBatch(messages: Message[]): Promise<void> {
    const response = await options.handler({ Records: messages.map((message) => toRecord(message, options.queueArn)) });
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    const done = messages.filter((message) => !failed.has(message.MessageId!));
    for (let start = 0; start < done.length; start += 10) {
      const chunk = done.slice(start, start + 10);
      await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
    }
  }

  async function loop(): Promise<void> {
    while (running) {
      try {
        const batch = await gatherBatch();
        if (batch.length > 0) await runBatch(batch);
      } catch (error) {
        if (!running) return;
        options.onError?.(error);
        await sleep(500);
      }
    }
  }

  const loops = Array.from({ length: options.concurrency ?? 2 }, () => loop());
  return {
    async stop() {
      running = false;
      // Cuts a long poll short (a message it was receiving reappears after the visibility timeout); a
      // batch already being handled runs to its end.
      abort.abort();
      await Promise.all(loops);
    },
  };
}

/** An SQS message as the event source mapping hands it to Lambda. */
export function toRecord(message: Message, queueArn: string): SQSRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: (message.Attributes ?? {}) as unknown as SQSRecord['attributes'],
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, { dataType: value.DataType ?? 'String', stringValue: value.StringValue }]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
