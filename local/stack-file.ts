/**
 * Where a running `npm start` tells other commands (`npm run redrive -- --local`) how to reach it: its
 * emulators run on free ports, so the endpoints and resources are written to .local/stack.json while
 * it runs, and removed when it stops.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PipelineResources } from '../ops/stage';

export const LOCAL_STACK_FILE = join(__dirname, '..', '.local', 'stack.json');

export interface LocalStackFile extends PipelineResources {
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  /** The Stripe API the local stack uses: its own stand-in, or STRIPE_API_BASE. */
  readonly stripeApiBase: string;
  /** The webhook URL, e.g. http://localhost:4242/webhook. */
  readonly webhookUrl: string;
}

export function writeLocalStackFile(contents: LocalStackFile, file = LOCAL_STACK_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(contents, null, 2));
}

export function removeLocalStackFile(file = LOCAL_STACK_FILE): void {
  rmSync(file, { force: true });
}

/** @throws when no local stack is running. */
export function readLocalStackFile(file = LOCAL_STACK_FILE): LocalStackFile {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalStackFile;
  } catch {
    throw new Error('No local stack is running: start one with npm start');
  }
}
