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
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_AWS } from '../local/emulators';
import { readLocalStackFile } from '../local/stack-file';
import { redrive } from '../ops/redrive';
import { stageResources } from '../ops/stage';

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
    const local = readLocalStackFile();
    sqs = new SQSClient({ endpoint: local.sqsEndpoint, ...LOCAL_AWS });
    ({ queueUrl, deadLetterQueueUrl } = local);
  } else {
    sqs = new SQSClient(values.region ? { region: values.region } : {});
    ({ queueUrl, deadLetterQueueUrl } = await stageResources(sqs, values.stage!));
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
  if ((report.failed?.length ?? 0) > 0 || (report.notFound?.length ?? 0) > 0) process.exitCode = 1;
  sqs.destroy();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
