// fauxqs (an SQS emulator speaking the AWS JSON protocol), listening on 127.0.0.1 only: its own CLI
// listens on every interface. Clients must set the endpoint explicitly, as its queue URLs name a host
// (sqs.<region>.localhost) that does not resolve here. Run in a child process of its own
// (sqs-emulator.mjs: the tests) or in the local stack's process (`npm start`, emulators.ts).
import { buildApp } from 'fauxqs';

/** Resolves with the listening app; `app.close()` stops it and closes its connections. */
export async function listenOnLoopback(port, region) {
  const app = buildApp({ logger: false, defaultRegion: region });
  await app.listen({ port, host: '127.0.0.1' });
  return app;
}
