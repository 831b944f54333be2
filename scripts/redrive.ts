/**
 * `npm run redrive`: replays dead-lettered events into the event queue.
 *
 *   npm run redrive -- --stage prod                    native move (SQS StartMessageMoveTask), all messages
 *   npm run redrive -- --stage prod --rate 20          at most 20 messages a second
 *   npm run redrive -- --stage prod --type invoice.paid --event evt_1 --event evt_2
 *                                                      selective move: only matching messages
 *   npm run redrive -- --stage prod --dry-run          list what would move, move nothing
 *   npm run redrive -- --stage prod --force            also redo events the ledger marks completed
 *   npm run redrive -- --local                         against `npm start`'s emulators
 *
 * Replaying is safe: the worker recognises an event it already completed by its Stripe event id, and
 * acknowledges it without effect (unless --force).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { QUEUES, resourceName } from '../functions/shared/resources';
import { LOCAL_AWS } from '../local/emulators';
import { moveDeadLetters, type DeadLetter } from './dead-letters';

export const LOCAL_STACK_FILE = join(__dirname, '..', '.local', 'stack.json');

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
}

export interface RedriveReport {
  readonly method: 'native' | 'selective';
  readonly moved: number;
  readonly matched?: readonly DeadLetter[];
  readonly fellBack?: boolean;
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
  for (const letter of result.matched) print(`  ${options.dryRun ? 'would move' : 'moved'} ${letter.type} ${letter.eventId} (received ${letter.receiveCount}×)`);
  return { method: 'selective', moved: result.moved, matched: result.matched };
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return Attributes!.QueueArn!;
}

function isUnsupported(error: unknown): boolean {
  const { name, message } = error as { name?: string; message?: string };
  return /Unsupported|InvalidAction|UnknownOperation|not supported|NotImplemented/i.test(`${name} ${message}`);
}

interface LocalStackFile {
  readonly sqsEndpoint: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      rate: { type: 'string' },
      type: { type: 'string' },
      event: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || (!values.stage && !values.local)) {
    console.log('Usage: npm run redrive -- (--stage <stage> [--region <region>] | --local) [--rate N] [--type <event type>] [--event <evt_id>]… [--dry-run] [--force]');
    if (!values.help) process.exitCode = 2;
    return;
  }
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > 500)) throw new Error('--rate must be a whole number of messages per second from 1 to 500 (the SQS limit)');

  let sqs: SQSClient;
  let queueUrl: string;
  let deadLetterQueueUrl: string;
  if (values.local) {
    let local: LocalStackFile;
    try {
      local = JSON.parse(readFileSync(LOCAL_STACK_FILE, 'utf8')) as LocalStackFile;
    } catch {
      throw new Error('No local stack is running: start one with npm start');
    }
    sqs = new SQSClient({ endpoint: local.sqsEndpoint, ...LOCAL_AWS });
    ({ queueUrl, deadLetterQueueUrl } = local);
  } else {
    sqs = new SQSClient(values.region ? { region: values.region } : {});
    const url = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    [queueUrl, deadLetterQueueUrl] = await Promise.all([url(resourceName(values.stage!, QUEUES.events)), url(resourceName(values.stage!, QUEUES.deadLetters))]);
  }

  console.log(`Redriving ${deadLetterQueueUrl} → ${queueUrl}${values['dry-run'] ? ' (dry run)' : ''}${values.force ? ' (forcing completed events to run again)' : ''}`);
  const report = await redrive({
    sqs,
    queueUrl,
    deadLetterQueueUrl,
    eventIds: values.event,
    type: values.type,
    dryRun: values['dry-run'],
    force: values.force,
    rate,
    print: console.log,
  });
  console.log(
    values['dry-run']
      ? `Dry run: ${report.matched?.length ?? 0} messages would move.`
      : `Done: moved ${report.moved} message${report.moved === 1 ? '' : 's'} by ${report.method === 'native' ? 'SQS StartMessageMoveTask' : 'receive, send and delete'}.`,
  );
  sqs.destroy();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
