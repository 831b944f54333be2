// Runs fauxqs (an SQS emulator speaking the AWS JSON protocol) for the local stack and the tests, on
// 127.0.0.1 only: its own CLI listens on every interface. Clients must set the endpoint explicitly, as
// its queue URLs name a host (sqs.<region>.localhost) that does not resolve here.
import { buildApp } from 'fauxqs';

const port = Number(process.env.SQS_EMULATOR_PORT ?? 4566);
const app = buildApp({ logger: false, defaultRegion: process.env.SQS_EMULATOR_REGION ?? 'us-east-1' });
await app.listen({ port, host: '127.0.0.1' });

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
