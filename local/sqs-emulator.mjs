// Runs fauxqs (sqs-emulator-app.mjs) as a process of its own: for the tests, which share one across
// the run, and for a local stack started without `ingestFirst`.
import { listenOnLoopback } from './sqs-emulator-app.mjs';

const app = await listenOnLoopback(Number(process.env.SQS_EMULATOR_PORT ?? 4566), process.env.SQS_EMULATOR_REGION ?? 'us-east-1');

// Never outlive the process that started us: no emulator is left behind if it dies without cleaning up.
const parent = process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    process.exit(0);
  }
}, 1000).unref();
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => app.close().then(() => process.exit(0)));
