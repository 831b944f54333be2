/**
 * The poller's batches: full batches go at once, a drained queue is waited on until the batching window
 * closes, and a batch costs a few receives, not one every few milliseconds. Against an in-memory queue.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startPoller } from '../../../local/poller';

/** A queue that answers ReceiveMessage from `waiting`, long polls included, and records every call. */
function memoryQueue() {
  const waiting: Message[] = [];
  const receives: { asked: number; got: number }[] = [];
  const deleted: string[] = [];
  let wake: (() => void) | undefined;
  const sqs = {
    async send(command: unknown, options?: { abortSignal?: AbortSignal }) {
      if (command instanceof ReceiveMessageCommand) {
        const asked = command.input.MaxNumberOfMessages ?? 1;
        if (waiting.length === 0 && (command.input.WaitTimeSeconds ?? 0) > 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            options?.abortSignal?.addEventListener('abort', () => resolve());
          });
        }
        const Messages = waiting.splice(0, asked);
        receives.push({ asked, got: Messages.length });
        return { Messages };
      }
      if (command instanceof DeleteMessageBatchCommand) {
        deleted.push(...command.input.Entries!.map((entry) => entry.ReceiptHandle!));
        return {};
      }
      throw new Error('unexpected command');
    },
  } as unknown as SQSClient;
  let next = 0;
  const add = (count: number) => {
    for (let index = 0; index < count; index++, next++) waiting.push({ MessageId: `m${next}`, ReceiptHandle: `r${next}`, Body: '{}' });
    wake?.();
  };
  return { sqs, add, receives, deleted };
}

/** Starts a poller whose handler records each batch; `onBatch` runs inside the handler. */
function poll(queue: ReturnType<typeof memoryQueue>, options: { batchSize: number; batchingWindowMs: number }, onBatch?: (size: number) => void) {
  const batches: number[] = [];
  let firstBatch!: () => void;
  const handled = new Promise<void>((resolve) => (firstBatch = resolve));
  const poller = startPoller({
    sqs: queue.sqs,
    queueUrl: 'http://queue',
    queueArn: 'arn:aws:sqs:us-east-1:000000000000:queue',
    concurrency: 1,
    ...options,
    handler: async (event: SQSEvent): Promise<SQSBatchResponse> => {
      batches.push(event.Records.length);
      onBatch?.(event.Records.length);
      firstBatch();
      return { batchItemFailures: [] };
    },
  });
  return { poller, batches, handled };
}

describe('the poller', () => {
  it('sends a full batch at once, in as many receives as it takes to fill it', async () => {
    const queue = memoryQueue();
    queue.add(35);
    // A window no test waits for: the batch must go because it is full, not because the window closed.
    const { poller, batches, handled } = poll(queue, { batchSize: 30, batchingWindowMs: 60_000 });
    await handled;
    await poller.stop();

    expect(batches[0]).toBe(30);
    expect(queue.receives.slice(0, 3)).toEqual([{ asked: 10, got: 10 }, { asked: 10, got: 10 }, { asked: 10, got: 10 }]);
  });

  describe('with a clock of its own', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
    afterEach(() => jest.useRealTimers());

    /** Lets the poller run until `condition` holds, without moving the clock. */
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise((resolve) => setImmediate(resolve));
    };

    it('waits for the window when the queue runs dry, then takes what came meanwhile in one more receive', async () => {
      const queue = memoryQueue();
      queue.add(3);
      const { poller, batches, handled } = poll(queue, { batchSize: 30, batchingWindowMs: 200 });
      await until(() => queue.receives.length === 1);
      queue.add(2);
      await jest.advanceTimersByTimeAsync(199);
      // Still waiting: not one receive more while the window is open.
      expect(queue.receives).toHaveLength(1);
      expect(batches).toEqual([]);

      await jest.advanceTimersByTimeAsync(1);
      await handled;
      expect(batches[0]).toBe(5);
      expect(queue.receives.slice(0, 2)).toEqual([{ asked: 10, got: 3 }, { asked: 10, got: 2 }]);
      await until(() => queue.deleted.length === 5);
      expect(queue.deleted).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
      await poller.stop();
    });

    it('long-polls an empty queue, and the window starts at the first message', async () => {
      const queue = memoryQueue();
      const { poller, batches, handled } = poll(queue, { batchSize: 30, batchingWindowMs: 50 });
      await jest.advanceTimersByTimeAsync(500);
      expect(queue.receives).toEqual([]);

      queue.add(1);
      await until(() => queue.receives.length === 1);
      await jest.advanceTimersByTimeAsync(50);
      await handled;
      expect(batches[0]).toBe(1);
      expect(queue.receives[0]).toEqual({ asked: 10, got: 1 });
      await poller.stop();
    });
  });
});
