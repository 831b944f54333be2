/**
 * `npm run console`: the console for a deployed stage, served on this machine with the operator's own
 * AWS credentials (the usual chain: AWS_PROFILE, SSO, environment). Nothing is deployed for it.
 *
 *   npm run console -- --stage prod [--region eu-west-1] [--port 4243]
 *   npm run console -- --local                    against the running npm start
 *
 * It checks every permission it needs before it starts, and names each one missing. It listens on
 * 127.0.0.1 only and prints a URL carrying a random token; a request without the token is refused.
 */
import { parseArgs } from 'node:util';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { blocksTools, checkStageAccess, explainingAccess } from '../ops/access-errors';
import { ledgerOverview, stageOverview } from '../ops/overview';
import type { ConsoleTarget } from '../local/console-api';
import { DEFAULT_CONSOLE_PORT, startConsoleServer, type ConsoleServer } from '../local/console-server';
import { failureMessage, printAccessReport } from './cli-output';
import { openTarget, TARGET_FLAGS, type Target } from './stage-target';

const USAGE = `Usage: npm run console -- (--stage <stage> [--region <region>] | --local) [--port <port, default ${DEFAULT_CONSOLE_PORT}>]`;

export interface ConsoleOptions {
  readonly print?: (line: string) => void;
  readonly printError?: (line: string) => void;
  /** --local: npm start's stack file. @default .local/stack.json */
  readonly localStackFile?: string;
}

export interface RunningConsole {
  readonly server: ConsoleServer;
  /** Stops the server and closes the AWS clients. */
  stop(): Promise<void>;
}

/**
 * Starts the console, or answers the exit code it could not start with (1: access or not found, 2: bad
 * flags, 0: --help). Every failure is printed, none is thrown.
 *
 * @example
 * const started = await startConsole(['--stage', 'prod', '--region', 'eu-west-1']);
 */
export async function startConsole(argv: readonly string[], options: ConsoleOptions = {}): Promise<RunningConsole | number> {
  const print = options.print ?? console.log;
  const printError = options.printError ?? console.error;
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        ...TARGET_FLAGS,
        port: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    printError(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    print(USAGE);
    return 0;
  }
  if (Boolean(values.stage) === values.local) {
    printError(`Name a stage (--stage) or --local, not both\n${USAGE}`);
    return 2;
  }
  const port = values.port === undefined ? DEFAULT_CONSOLE_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    printError(`--port must be a port number, got ${JSON.stringify(values.port)}`);
    return 2;
  }

  let target: Target;
  try {
    target = await openTarget(values.local ? { local: true, ...(options.localStackFile ? { stackFile: options.localStackFile } : {}) } : { stage: values.stage!, ...(values.region ? { region: values.region } : {}) });
  } catch (error) {
    printError(failureMessage(error));
    return 1;
  }
  const cloudwatch = values.local ? undefined : new CloudWatchClient(values.region ? { region: values.region } : {});
  const close = () => {
    target.close();
    cloudwatch?.destroy();
  };
  try {
    const access = await checkStageAccess({ ...target, ...(cloudwatch ? { cloudwatch } : {}) }, { ...target.resources, apiKeySecretName: target.apiKeySecretName });
    if (blocksTools(access)) {
      printAccessReport(access, target.name, printError);
      close();
      return 1;
    }
    for (const problem of access.problems) printError(`Note: ${problem.message} Without it, ${problem.without}.`);
    const served = consoleTarget(target, cloudwatch, values.region);
    const server = await startConsoleServer({ target: served, port });
    print(`Console for ${served.name}, reading with ${values.local ? "npm start's emulators" : 'your AWS credentials'}. Open:`);
    print(`  ${server.url}`);
    print('The URL carries a token that lets its holder redrive and replay events: do not share it. Ctrl-C stops the console.');
    return {
      server,
      stop: async () => {
        await server.close();
        close();
      },
    };
  } catch (error) {
    close();
    printError(failureMessage(error));
    return 1;
  }
}

/** The console's view of a target: a stage's overview from CloudWatch, the local stack's counted from its ledger. */
function consoleTarget(target: Target, cloudwatch: CloudWatchClient | undefined, region: string | undefined): ConsoleTarget {
  const { db, sqs, resources } = target;
  return {
    name: region ? `${target.name} (${region})` : target.name,
    kind: cloudwatch ? 'stage' : 'local',
    db: explainingAccess(db, 'for what the console was asked to do'),
    sqs: explainingAccess(sqs, 'for what the console was asked to do'),
    resources,
    stripeApi: () => target.stripeApi(),
    overview: (range) =>
      cloudwatch
        ? stageOverview({ cloudwatch: explainingAccess(cloudwatch, "to draw the console's overview"), sqs, resources }, range)
        : ledgerOverview({ db, sqs, resources }, range),
  };
}

if (require.main === module) {
  startConsole(process.argv.slice(2)).then(
    (started) => {
      if (typeof started === 'number') return process.exit(started);
      const stop = () => void started.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      console.error(failureMessage(error));
      process.exit(1);
    },
  );
}
