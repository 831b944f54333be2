// The worker thread's first module (worker-thread.ts starts it): teaches the thread TypeScript with
// tsx, whatever the main thread runs under (`npm start`'s tsx, Jest's ts-jest), then loads the entry.
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

register();
createRequire(import.meta.url)('./worker-thread-entry.ts');
