/**
 * Replaying dead-lettered events into the event queue: SQS's native move (StartMessageMoveTask) for
 * everything, or a selective move (receive, send, delete) by type or event id, with a dry run and a
 * forced redo. Used by `npm run redrive`, the local ops API and the stage console.
 *
 * Replaying is safe: the worker recognises an event it already completed by its Stripe event id, and
 * acknowledges it without effect (unless forced).
 */
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { moveDeadLetters, type DeadLetter, type MoveResult } from './dead-letters';

export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly eventIds?: readonly string[];
  readonly type?: string;
  readonly dryRun?: boolean;
  readonly force?: boolean;
  /** Messages per second. */
  readonly rate?: number;
  readonly print?: (line: string) => void;
  /** How often the native task's progress is polled. @default 2 000 ms */
  readonly pollMs?: number;
  /**
   * Whether to wait for a native move to finish, polling its progress. The console does not: at 50
   * messages a second a large backlog takes minutes, and the dead-letter count shows it fall.
   * @default true
   */
  readonly waitForNative?: boolean;
}

export interface RedriveReport {
  readonly method: 'native' | 'selective';
  readonly moved: number;
  readonly matched?: readonly DeadLetter[];
  /** Messages SQS refused to take; they stay in the dead-letter queue. */
  readonly failed?: MoveResult['failed'];
  /** Event ids asked for that no dead letter carries. */
  readonly notFound?: readonly string[];
  readonly fellBack?: boolean;
  /** A native move started and not waited for (`waitForNative: false`): SQS goes on moving. */
  readonly started?: boolean;
}

/** Native move when it can (all messages, no flag), selective move otherwise or when the endpoint lacks it. */
export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  const print = options.print ?? (() => undefined);
  const selective = options.dryRun || options.force || Boolean(options.type) || (options.eventIds?.length ?? 0) > 0;
  if (!selective) {
    try {
      return await nativeMove(options, print);
    } catch (error) {
      if (!isUnsupported(error)) throw error;
      print('This SQS endpoint has no StartMessageMoveTask (the local emulator, fauxqs, lacks it): falling back to a selective move.');
      return { ...(await selectiveMove(options, print)), fellBack: true };
    }
  }
  return selectiveMove(options, print);
}

async function nativeMove(options: RedriveOptions, print: (line: string) => void): Promise<RedriveReport> {
  const [sourceArn, destinationArn] = await Promise.all([queueArn(options.sqs, options.deadLetterQueueUrl), queueArn(options.sqs, options.queueUrl)]);
  await options.sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      DestinationArn: destinationArn,
      ...(options.rate ? { MaxNumberOfMessagesPerSecond: options.rate } : {}),
    }),
  );
  print(`Started SQS message move task${options.rate ? ` at ${options.rate} messages/s` : ''}.`);
  if (options.waitForNative === false) return { method: 'native', moved: 0, started: true };
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2_000));
    const { Results = [] } = await options.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    const task = Results[0];
    if (!task) continue;
    const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
    const total = task.ApproximateNumberOfMessagesToMove;
    print(`  ${task.Status}: moved ${moved}${total !== undefined ? ` of ${total}` : ''}`);
    if (task.Status === 'COMPLETED') return { method: 'native', moved };
    if (task.Status === 'FAILED' || task.Status === 'CANCELLED') {
      throw new Error(`Message move task ${task.Status.toLowerCase()} after ${moved} messages: ${task.FailureReason ?? 'no reason given'}`);
    }
  }
}

async function selectiveMove(options: RedriveOptions, print: (line: string) => void): Promise<RedriveReport> {
  const perBatchDelay = options.rate ? (10 / options.rate) * 1000 : 0;
  let lastBatch = Date.now();
  const result = await moveDeadLetters(options.sqs, {
    from: options.deadLetterQueueUrl,
    to: options.queueUrl,
    filter: { eventIds: options.eventIds, type: options.type },
    dryRun: options.dryRun,
    force: options.force,
    onProgress: async ({ scanned, moved }) => {
      print(`  scanned ${scanned}, ${options.dryRun ? 'would move' : 'moved'} ${options.dryRun ? '' : moved}`.trimEnd());
      if (perBatchDelay > 0) {
        const wait = lastBatch + perBatchDelay - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        lastBatch = Date.now();
      }
    },
  });
  const refused = new Set(result.failed.map((failure) => failure.eventId));
  for (const letter of result.matched.filter((letter) => !refused.has(letter.eventId))) {
    print(`  ${options.dryRun ? 'would move' : 'moved'} ${letter.type} ${letter.eventId} (received ${letter.receiveCount}×)`);
  }
  for (const failure of result.failed) print(`  NOT moved ${failure.eventId}: ${failure.reason}`);
  for (const eventId of result.notFound) print(`  not in the dead-letter queue: ${eventId}`);
  return { method: 'selective', moved: result.moved, matched: result.matched, failed: result.failed, notFound: result.notFound };
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return Attributes!.QueueArn!;
}

function isUnsupported(error: unknown): boolean {
  const { name, message } = error as { name?: string; message?: string };
  return /Unsupported|InvalidAction|UnknownOperation|not supported|NotImplemented/i.test(`${name} ${message}`);
}
