/**
 * Rolling an endpoint's signing secret without losing or doubling an event. Stripe's API cannot roll
 * a secret, so the endpoint is replaced by a new one for the same URL:
 *
 *   start   create the new endpoint (`metadata.replaces` = the old one's id, `rotation_started_at`),
 *           record its fingerprint, and store its secret beside the old. Stripe now sends every event
 *           to both endpoints, the ingest accepts both secrets, and the ledger does each event once.
 *   wait    until the overlap has passed: every ingest has refetched the secrets (every 5 minutes by
 *           default, sooner on a mismatch) and the old endpoint's deliveries in flight have landed.
 *   finish  delete the old endpoint, keep only the new one's secret, clear the new one's marks.
 *
 * Nothing is remembered between runs but what Stripe and the store hold: each run reads them and
 * takes the next step, so a run that stopped anywhere is finished by the next one. The new endpoint is
 * also how its API version changes, since the API cannot update an endpoint's version.
 */
import type Stripe from 'stripe';
import { DEFAULT_SECRET_REFRESH_SECONDS } from '../functions/shared/config';
import {
  classifyEndpoints,
  createEndpoint,
  deleteEndpoint,
  desiredEndpoint,
  fingerprintOf,
  listEndpointsFor,
  printConflict,
  replacesOf,
  rotationStartedAt,
  secretFingerprint,
  secretsOf,
  type DesiredEndpoint,
  type EndpointDeps,
  type EndpointState,
  type EndpointTarget,
} from './webhook-endpoint';

/** Long enough for every ingest to refetch the secrets many times over; the old endpoint keeps delivering meanwhile. */
export const DEFAULT_OVERLAP_MS = 60 * 60 * 1000;

export interface RotationTarget extends EndpointTarget {
  /** How long both endpoints deliver before the old one is deleted. @default 1 hour */
  readonly overlapMs?: number;
}

export interface RotationResult {
  /**
   * `started`: both endpoints deliver until `finishAfter`; `waiting`: a rotation is under way and its
   * overlap has not passed; `finished`: one endpoint, one secret. The others change nothing:
   * `no-endpoint` (create one first), `blocked` (the new endpoint is disabled), `conflict` (more endpoints than the tool manages).
   */
  readonly outcome: 'started' | 'waiting' | 'finished' | 'no-endpoint' | 'blocked' | 'conflict';
  /** The endpoint that carries on: the new one. Absent when a dry run would create it. */
  readonly endpointId?: string;
  /** The endpoint being replaced. */
  readonly replacedEndpointId?: string;
  /** ISO time after which a run finishes the rotation. */
  readonly finishAfter?: string;
  readonly dryRun: boolean;
}

/** What a rotation does next, from what Stripe and the store hold now. */
export type RotationStep =
  | { readonly kind: 'start'; readonly outgoing: Stripe.WebhookEndpoint; readonly reason?: string }
  | { readonly kind: 'restart'; readonly incoming: Stripe.WebhookEndpoint; readonly outgoing: Stripe.WebhookEndpoint; readonly reason: string }
  | { readonly kind: 'wait'; readonly incoming: Stripe.WebhookEndpoint; readonly outgoing: Stripe.WebhookEndpoint; readonly readyAt: number }
  | { readonly kind: 'finish'; readonly incoming: Stripe.WebhookEndpoint; readonly outgoing?: Stripe.WebhookEndpoint }
  | { readonly kind: 'blocked'; readonly incoming: Stripe.WebhookEndpoint; readonly outgoing: Stripe.WebhookEndpoint }
  | { readonly kind: 'no-endpoint' }
  | { readonly kind: 'conflict'; readonly endpoints: readonly Stripe.WebhookEndpoint[] };

/**
 * The rotation's state machine, pure. A new endpoint whose secret is not stored (a run stopped between
 * creating it and storing the secret) can never be verified, so it is replaced rather than waited for.
 */
export function nextRotationStep(state: EndpointState, stored: readonly string[], now: number, overlapMs: number): RotationStep {
  switch (state.kind) {
    case 'none':
      return { kind: 'no-endpoint' };
    case 'conflict':
      return state;
    case 'single':
      return { kind: 'start', outgoing: state.endpoint };
    case 'rotating': {
      const { incoming, outgoing } = state;
      const fingerprint = fingerprintOf(incoming);
      if (!fingerprint || !stored.some((secret) => secretFingerprint(secret) === fingerprint)) {
        const lost = `${incoming.id} was created for a rotation, but its secret never reached the store (a run stopped between the two)`;
        if (outgoing) return { kind: 'restart', incoming, outgoing, reason: `${lost}: it is deleted and the rotation starts over.` };
        return { kind: 'start', outgoing: incoming, reason: `${lost}, and the endpoint it replaced is gone: it is replaced in turn.` };
      }
      // The old endpoint is gone (a run stopped after deleting it): nothing is left to wait for.
      if (!outgoing) return { kind: 'finish', incoming };
      const readyAt = rotationStartedAt(incoming) + overlapMs;
      if (now < readyAt) return { kind: 'wait', incoming, outgoing, readyAt };
      // Deleting the old endpoint would leave only one that Stripe does not deliver to.
      if (incoming.status === 'disabled') return { kind: 'blocked', incoming, outgoing };
      return { kind: 'finish', incoming, outgoing };
    }
  }
}

/**
 * Takes the rotation's next step, and the ones after it that need no waiting: with an overlap of 0 a
 * single run goes from one endpoint to the next. A dry run prints the next step only.
 *
 * @example
 * await rotateEndpoint({ url, stage: 'prod', overlapMs: 3_600_000 }, { api, store, print: console.log });
 * // …an hour later, the same call deletes the old endpoint and its secret.
 */
export async function rotateEndpoint(target: RotationTarget, deps: EndpointDeps): Promise<RotationResult> {
  const desired = desiredEndpoint(target);
  const dryRun = target.dryRun ?? false;
  const overlapMs = target.overlapMs ?? DEFAULT_OVERLAP_MS;
  const now = deps.now ?? Date.now;
  const { print, store } = deps;
  print(`${dryRun ? 'Dry run: nothing will change. ' : ''}Rotating the signing secret of the Stripe webhook endpoint for ${target.url} (stage ${target.stage}), overlap ${formatDuration(overlapMs)}`);
  if (overlapMs < DEFAULT_SECRET_REFRESH_SECONDS * 1000) {
    print(`  ⚠ An overlap under ${formatDuration(DEFAULT_SECRET_REFRESH_SECONDS * 1000)} can delete the old endpoint before every ingest has refetched the secrets: deliveries to the new one may fail until then, and Stripe retries them.`);
  }
  let startedId: string | undefined;
  // start → (overlap 0) finish, or restart → start → wait: never more than three steps in one run.
  for (let round = 0; round < 4; round++) {
    const step = nextRotationStep(classifyEndpoints(await listEndpointsFor(deps.api, target.url)), await store.read(), now(), overlapMs);
    switch (step.kind) {
      case 'no-endpoint':
        print('  No endpoint has this URL, so there is no secret to roll: run the command without --rotate to create one.');
        return { outcome: 'no-endpoint', dryRun };
      case 'conflict':
        printConflict(step.endpoints, print);
        return { outcome: 'conflict', dryRun };
      case 'blocked':
        print(`  ⚠ The overlap has passed, but Stripe has DISABLED the new endpoint ${step.incoming.id} (its deliveries kept failing): deleting ${step.outgoing.id} now would leave no endpoint that Stripe delivers to.`);
        print(`  Nothing changed. Find out why deliveries fail, re-enable ${step.incoming.id} in the Stripe Dashboard, and run this again; or delete ${step.incoming.id} and run this again to start over.`);
        return { outcome: 'blocked', endpointId: step.incoming.id, replacedEndpointId: step.outgoing.id, dryRun };
      case 'wait': {
        const finishAfter = new Date(step.readyAt).toISOString();
        print(`  ${startedId ? 'Both endpoints now deliver' : `Rotation under way: ${step.incoming.id} replaces ${step.outgoing.id}, both deliver`} until ${finishAfter} (in ${formatDuration(step.readyAt - now())}). Nothing ${startedId ? 'more ' : ''}to do before then.`);
        print(`  Run the same command again after ${finishAfter} to delete ${step.outgoing.id} and drop its secret.`);
        return { outcome: startedId ? 'started' : 'waiting', endpointId: step.incoming.id, replacedEndpointId: step.outgoing.id, finishAfter, dryRun };
      }
      case 'restart':
        print(`  ${step.reason}`);
        if (dryRun) {
          print(`  Would delete ${step.incoming.id}, then start over:`);
          printStart(step.outgoing, desired, overlapMs, deps);
          return { outcome: 'started', replacedEndpointId: step.outgoing.id, dryRun };
        }
        await deleteEndpoint(step.incoming.id, deps.api);
        print(`  Deleted ${step.incoming.id}.`);
        continue;
      case 'start':
        if (step.reason) print(`  ${step.reason}`);
        if (dryRun) {
          printStart(step.outgoing, desired, overlapMs, deps);
          return { outcome: 'started', replacedEndpointId: step.outgoing.id, dryRun };
        }
        startedId = await start(step.outgoing, desired, now, deps);
        continue;
      case 'finish':
        if (dryRun) {
          await printFinish(step, deps);
          return { outcome: 'finished', endpointId: step.incoming.id, ...(step.outgoing ? { replacedEndpointId: step.outgoing.id } : {}), dryRun };
        }
        await finish(step, target.url, deps);
        return { outcome: 'finished', endpointId: step.incoming.id, replacedEndpointId: step.outgoing?.id ?? replacesOf(step.incoming)!, dryRun };
    }
  }
  throw new Error(`The rotation for ${target.url} did not settle after several steps: run the command again to see where it stands`);
}

async function start(outgoing: Stripe.WebhookEndpoint, desired: DesiredEndpoint, now: () => number, deps: EndpointDeps): Promise<string> {
  deps.print(`  Step 1 of 2: creating a new endpoint for the same URL to replace ${outgoing.id}.`);
  if (outgoing.api_version !== desired.api_version) {
    deps.print(`  The new endpoint uses API version ${desired.api_version} (${outgoing.id}: ${outgoing.api_version ?? "the account's default"}).`);
  }
  // Every stored secret stays: until the old endpoint is gone, its deliveries must still verify.
  const stored = await deps.store.read();
  const { id } = await createEndpoint(desired, { replaces: outgoing.id, rotation_started_at: new Date(now()).toISOString() }, stored, deps);
  deps.print(`  ${capitalize(deps.store.name)} now holds the secrets of both endpoints, so the ingest accepts deliveries from either.`);
  deps.print('  Stripe now sends every event to both endpoints; the ledger does each event once.');
  return id;
}

async function finish(step: Extract<RotationStep, { kind: 'finish' }>, url: string, deps: EndpointDeps): Promise<void> {
  const { incoming, outgoing } = step;
  if (outgoing) {
    deps.print(`  Step 2 of 2: the overlap has passed. Deleting ${outgoing.id}.`);
    await deleteEndpoint(outgoing.id, deps.api);
    deps.print(`  Deleted ${outgoing.id}: Stripe now delivers only to ${incoming.id}.`);
  } else {
    deps.print(`  Step 2 of 2: ${replacesOf(incoming)} is already deleted; tidying up.`);
  }
  const stored = await deps.store.read();
  const keep = secretsOf([incoming], stored);
  if (keep.length === 0) {
    // Read moments ago with the secret in it: someone changed the store meanwhile. Emptying it would stop the ingest.
    throw new Error(`${capitalize(deps.store.name)} no longer holds the secret of ${incoming.id} (fingerprint ${fingerprintOf(incoming)}); it was left as it is`);
  }
  const dropped = stored.filter((secret) => !keep.includes(secret));
  if (dropped.length > 0) {
    await deps.store.write(keep);
    deps.print(`  ${capitalize(deps.store.name)} now holds only the secret of ${incoming.id} (fingerprint ${fingerprintOf(incoming)}); dropped ${fingerprintList(dropped)}.`);
  } else {
    deps.print(`  ${capitalize(deps.store.name)} already holds only the secret of ${incoming.id}.`);
  }
  if (replacesOf(incoming) || incoming.metadata?.rotation_started_at) {
    // Stripe deletes a metadata key set to an empty string.
    await deps.api.write((stripe) => stripe.webhookEndpoints.update(incoming.id, { metadata: { replaces: '', rotation_started_at: '' } }));
    deps.print(`  Cleared the rotation marks from ${incoming.id}.`);
  }
  deps.print(`Rotation finished: ${incoming.id} is the endpoint for ${url}, with one signing secret. (Running --rotate again starts a new rotation.)`);
}

function printStart(outgoing: Stripe.WebhookEndpoint, desired: DesiredEndpoint, overlapMs: number, deps: EndpointDeps): void {
  deps.print(`  Would create a new endpoint for the same URL (${desired.enabled_events.length} event types, API version ${desired.api_version}) marked as replacing ${outgoing.id},`);
  deps.print(`  record its secret's fingerprint, and add its secret to ${deps.store.name}. Both endpoints would deliver for ${formatDuration(overlapMs)}; a run after that finishes the rotation.`);
}

async function printFinish(step: Extract<RotationStep, { kind: 'finish' }>, deps: EndpointDeps): Promise<void> {
  const { incoming, outgoing } = step;
  const stored = await deps.store.read();
  const keep = secretsOf([incoming], stored);
  const dropped = stored.filter((secret) => !keep.includes(secret));
  if (outgoing) deps.print(`  The overlap has passed: would delete ${outgoing.id},`);
  deps.print(`  would keep only the secret of ${incoming.id} (fingerprint ${fingerprintOf(incoming)}) in ${deps.store.name}${dropped.length > 0 ? `, dropping ${fingerprintList(dropped)}` : ''},`);
  deps.print(`  and would clear the rotation marks from ${incoming.id}.`);
}

/**
 * A duration as the CLI takes it: `90s`, `30m`, `1h`, `2d`, combined as `1h30m`, or `0`.
 * @returns milliseconds, or undefined when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(trimmed);
  // The pattern also matches the empty string: a duration needs at least one unit.
  if (!match || trimmed === '') return undefined;
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number];
  return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000;
}

/** `1h 30m`, `59m 59s`, `45s`: the two largest units, rounded up to the second. */
export function formatDuration(ms: number): string {
  let seconds = Math.max(0, Math.ceil(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const count = Math.floor(seconds / size);
    seconds -= count * size;
    if (count > 0 || parts.length > 0) parts.push(`${count}${unit}`);
  }
  const shown = parts.slice(0, 2).filter((part, index) => index === 0 || !part.startsWith('0'));
  return shown.length > 0 ? shown.join(' ') : '0s';
}

function fingerprintList(secrets: readonly string[]): string {
  return `${secrets.length} (fingerprint${secrets.length === 1 ? '' : 's'} ${secrets.map(secretFingerprint).join(', ')})`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
