/**
 * The Stripe webhook endpoint of a stage, as code: one URL, the event types the handlers handle (never
 * `*`), the API version they are typed for, and its signing secret in the stage's store.
 *
 * Secrets are named by fingerprint only (`secret_fingerprint` in the endpoint's metadata, the first 12
 * hex characters of their SHA-256), so the tool can tell which stored secret belongs to which endpoint
 * without storing or printing a secret anywhere else. Rolling the secret lives in endpoint-rotation.ts.
 */
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import { StripeApiError } from '../functions/shared/errors';
import { PINNED_API_VERSION, type StripeApi } from '../functions/shared/stripe-api';
import { registry } from '../functions/worker/actions';
import type { SigningSecretStore } from './signing-secret-store';

/** `metadata.managed_by` of the endpoints this tool registers. */
export const MANAGED_BY = 'stripe-webhooks-aws';

/** What the endpoint functions work with. */
export interface EndpointDeps {
  readonly api: StripeApi;
  readonly store: SigningSecretStore;
  /** Told each step as it happens; never given a secret or the key. */
  readonly print: (line: string) => void;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** Which endpoint, for which stage. */
export interface EndpointTarget {
  readonly url: string;
  readonly stage: string;
  /** The event types to enable. @default the worker registry's types */
  readonly types?: readonly string[];
  /** Print every change and make none. @default false */
  readonly dryRun?: boolean;
}

/** The configuration an endpoint should have; `secret_fingerprint` is added once Stripe has issued the secret. */
export interface DesiredEndpoint {
  readonly url: string;
  readonly enabled_events: readonly string[];
  readonly api_version: string;
  readonly description: string;
  readonly metadata: { readonly managed_by: string; readonly stage: string };
}

/** One field that differs, as shown to a person: `enabled_events: 21 types → 22 types (+invoice.paid)`. */
export interface FieldChange {
  readonly field: string;
  readonly from: string;
  readonly to: string;
}

export interface EnsureResult {
  /** `rotation-in-progress` and `conflict` change nothing: the printed lines say what to do. */
  readonly outcome: 'created' | 'updated' | 'unchanged' | 'rotation-in-progress' | 'conflict';
  /** The endpoint's id; absent when a dry run would create one, or on a conflict. */
  readonly endpointId?: string;
  /** What was (or, in a dry run, would be) changed. */
  readonly changes: readonly FieldChange[];
  readonly dryRun: boolean;
  /** What a person should act on: a disabled endpoint, another API version, a secret missing from the store. */
  readonly warnings: readonly string[];
}

/**
 * The endpoints for one URL, as the tool sees them. A rotation is two endpoints where the new one's
 * `metadata.replaces` names the other; once the old one is deleted the new one still carries the mark
 * until the rotation's last step clears it.
 */
export type EndpointState =
  | { readonly kind: 'none' }
  | { readonly kind: 'single'; readonly endpoint: Stripe.WebhookEndpoint }
  | { readonly kind: 'rotating'; readonly incoming: Stripe.WebhookEndpoint; readonly outgoing?: Stripe.WebhookEndpoint }
  | { readonly kind: 'conflict'; readonly endpoints: readonly Stripe.WebhookEndpoint[] };

/** The first 12 hex characters of the secret's SHA-256: enough to match, useless to sign with. */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}

/** The description Stripe's Dashboard shows for a stage's endpoint. */
export function endpointDescription(stage: string): string {
  return `Stripe webhooks on AWS, stage ${stage}`;
}

export function desiredEndpoint(target: Pick<EndpointTarget, 'url' | 'stage' | 'types'>): DesiredEndpoint {
  const types = [...new Set(target.types ?? registry.snapshotTypes)].sort();
  // `*` would send every event type, and a new type Stripe adds would arrive before a handler exists.
  if (types.length === 0 || types.includes('*')) throw new Error('The endpoint needs the handled event types, listed one by one (never "*")');
  return {
    url: target.url,
    enabled_events: types,
    api_version: PINNED_API_VERSION,
    description: endpointDescription(target.stage),
    metadata: { managed_by: MANAGED_BY, stage: target.stage },
  };
}

/**
 * What an existing endpoint's update must change to match `desired`, and the update's parameters.
 * The API version is reported apart: the API cannot change it (a rotation can, see endpoint-rotation.ts).
 */
export function planUpdate(
  endpoint: Stripe.WebhookEndpoint,
  desired: DesiredEndpoint,
): { readonly changes: FieldChange[]; readonly params: Stripe.WebhookEndpointUpdateParams; readonly apiVersionDiffers: boolean } {
  const changes: FieldChange[] = [];
  const params: Stripe.WebhookEndpointUpdateParams = {};
  const current = [...endpoint.enabled_events].sort();
  if (!sameList(current, desired.enabled_events)) {
    changes.push({ field: 'enabled_events', from: describeEvents(current), to: `${describeEvents(desired.enabled_events)}${eventDelta(current, desired.enabled_events)}` });
    params.enabled_events = [...desired.enabled_events] as Stripe.WebhookEndpointUpdateParams.EnabledEvent[];
  }
  if ((endpoint.description ?? '') !== desired.description) {
    changes.push({ field: 'description', from: quoted(endpoint.description), to: quoted(desired.description) });
    params.description = desired.description;
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(desired.metadata)) {
    const existing = endpoint.metadata?.[key];
    if (existing === value) continue;
    changes.push({ field: `metadata.${key}`, from: quoted(existing), to: quoted(value) });
    metadata[key] = value;
  }
  // Stripe merges metadata: only the keys that change are sent, so the fingerprint and any keys of the merchant's stay.
  if (Object.keys(metadata).length > 0) params.metadata = metadata;
  if (endpoint.status === 'disabled') {
    changes.push({ field: 'status', from: 'disabled', to: 'enabled' });
    params.disabled = false;
  }
  return { changes, params, apiVersionDiffers: endpoint.api_version !== desired.api_version };
}

/**
 * Every endpoint with exactly this URL, from all pages of the list.
 * @param pageSize endpoints per request. @default 100, Stripe's largest page
 */
export async function listEndpointsFor(api: StripeApi, url: string, pageSize = 100): Promise<Stripe.WebhookEndpoint[]> {
  const found: Stripe.WebhookEndpoint[] = [];
  let startingAfter: string | undefined;
  for (;;) {
    const page = await api.read((stripe) => stripe.webhookEndpoints.list({ limit: pageSize, ...(startingAfter ? { starting_after: startingAfter } : {}) }));
    found.push(...page.data.filter((endpoint) => endpoint.url === url));
    const last = page.data.at(-1);
    if (!page.has_more || !last) return found;
    startingAfter = last.id;
  }
}

/** Reads the endpoints for one URL as none, one, a rotation, or more than the tool can safely handle. */
export function classifyEndpoints(endpoints: readonly Stripe.WebhookEndpoint[]): EndpointState {
  if (endpoints.length === 0) return { kind: 'none' };
  if (endpoints.length === 1) {
    const endpoint = endpoints[0]!;
    // The old endpoint is already gone: the rotation's last steps (tidy the store, clear the mark) remain.
    return replacesOf(endpoint) ? { kind: 'rotating', incoming: endpoint } : { kind: 'single', endpoint };
  }
  if (endpoints.length === 2) {
    const [a, b] = endpoints as [Stripe.WebhookEndpoint, Stripe.WebhookEndpoint];
    const aReplacesB = replacesOf(a) === b.id;
    const bReplacesA = replacesOf(b) === a.id;
    if (aReplacesB !== bReplacesA) return aReplacesB ? { kind: 'rotating', incoming: a, outgoing: b } : { kind: 'rotating', incoming: b, outgoing: a };
  }
  return { kind: 'conflict', endpoints };
}

/** The id the endpoint replaces while a rotation is under way, if any. */
export function replacesOf(endpoint: Stripe.WebhookEndpoint): string | undefined {
  return endpoint.metadata?.replaces || undefined;
}

export function fingerprintOf(endpoint: Stripe.WebhookEndpoint): string | undefined {
  return endpoint.metadata?.secret_fingerprint || undefined;
}

/**
 * The stored secrets that belong to these endpoints, in stored order. An endpoint registered by hand
 * has no fingerprint: every stored secret may be its own, so all are kept for it.
 */
export function secretsOf(endpoints: readonly Stripe.WebhookEndpoint[], stored: readonly string[]): string[] {
  if (endpoints.some((endpoint) => !fingerprintOf(endpoint))) return [...stored];
  const fingerprints = new Set(endpoints.map(fingerprintOf));
  return stored.filter((secret) => fingerprints.has(secretFingerprint(secret)));
}

/**
 * Creates the stage's endpoint, or brings the one with this URL in line: enabled events, description,
 * metadata, and enabled again if Stripe disabled it. Never touches an endpoint mid-rotation.
 *
 * @example
 * await ensureEndpoint({ url: 'https://…/webhook', stage: 'prod' }, { api, store, print: console.log });
 */
export async function ensureEndpoint(target: EndpointTarget, deps: EndpointDeps): Promise<EnsureResult> {
  const desired = desiredEndpoint(target);
  const dryRun = target.dryRun ?? false;
  deps.print(`${dryRun ? 'Dry run: nothing will change. ' : ''}Stripe webhook endpoint for ${target.url} (stage ${target.stage})`);
  const state = classifyEndpoints(await listEndpointsFor(deps.api, target.url));
  switch (state.kind) {
    case 'none':
      return create(desired, dryRun, deps);
    case 'single':
      return update(state.endpoint, desired, dryRun, deps);
    case 'rotating':
      deps.print(`  A secret rotation is in progress: ${state.incoming.id} (since ${new Date(rotationStartedAt(state.incoming)).toISOString()}) replaces ${replacesOf(state.incoming)}${state.outgoing ? '' : ', already deleted'}.`);
      deps.print('  Nothing changed: finish the rotation with the same command and --rotate, then run this again.');
      return { outcome: 'rotation-in-progress', endpointId: state.incoming.id, changes: [], dryRun, warnings: [] };
    case 'conflict':
      printConflict(state.endpoints, deps.print);
      return { outcome: 'conflict', changes: [], dryRun, warnings: [`${state.endpoints.length} endpoints have this URL`] };
  }
}

async function create(desired: DesiredEndpoint, dryRun: boolean, deps: EndpointDeps): Promise<EnsureResult> {
  const changes: FieldChange[] = [
    { field: 'url', from: '(none)', to: desired.url },
    { field: 'enabled_events', from: '(none)', to: describeEvents(desired.enabled_events) },
    { field: 'api_version', from: '(none)', to: desired.api_version },
    { field: 'description', from: '(none)', to: quoted(desired.description) },
    ...Object.entries(desired.metadata).map(([key, value]) => ({ field: `metadata.${key}`, from: '(none)', to: quoted(value) })),
  ];
  deps.print(`  No endpoint has this URL: ${dryRun ? 'would create' : 'creating'} one.`);
  for (const change of changes) deps.print(`    ${formatChange(change)}`);
  if (dryRun) {
    deps.print(`  Would store its signing secret in ${deps.store.name}, replacing what is there.`);
    return { outcome: 'created', changes, dryRun, warnings: [] };
  }
  // No other endpoint has this URL, so no stored secret belongs to a live one: a placeholder or a stale secret goes.
  const created = await createEndpoint(desired, {}, [], deps);
  return { outcome: 'created', endpointId: created.id, changes, dryRun, warnings: [] };
}

async function update(endpoint: Stripe.WebhookEndpoint, desired: DesiredEndpoint, dryRun: boolean, deps: EndpointDeps): Promise<EnsureResult> {
  deps.print(`  Found ${endpoint.id} (${endpoint.status}, API version ${endpoint.api_version ?? 'the account default'}).`);
  const { changes, params, apiVersionDiffers } = planUpdate(endpoint, desired);
  const warnings: string[] = [];
  const warn = (line: string) => {
    warnings.push(line);
    deps.print(`  ⚠ ${line}`);
  };
  if (endpoint.status === 'disabled') {
    warn(
      'STRIPE HAS DISABLED THIS ENDPOINT, as it does when deliveries keep failing: no event reaches the pipeline while it is. ' +
        `${dryRun ? 'Would re-enable' : 'Re-enabling'} it; find out why deliveries failed (the ingest's logs, the endpoint's attempts in the Stripe Dashboard) or it will be disabled again.`,
    );
  }
  if (apiVersionDiffers) {
    warn(
      `It sends events with API version ${endpoint.api_version ?? "the account's default"}, but the handlers are typed for ${desired.api_version}. ` +
        "Stripe's API cannot change an endpoint's version: run this command with --rotate, which replaces the endpoint with a new one on the pinned version.",
    );
  }
  const stored = await deps.store.read();
  const secretWarning = missingSecret(endpoint, stored, deps.store.name);
  if (secretWarning) warn(secretWarning);
  else if (!fingerprintOf(endpoint)) {
    deps.print(`  It has no secret fingerprint (registered by hand?): the ${stored.length} secret${stored.length === 1 ? '' : 's'} in ${deps.store.name} count as its own. --rotate gives it one the tool tracks.`);
  }

  if (changes.length === 0) {
    deps.print('  Up to date: nothing to change.');
    return { outcome: 'unchanged', endpointId: endpoint.id, changes, dryRun, warnings };
  }
  for (const change of changes) deps.print(`  ${dryRun ? 'Would change' : 'Changing'} ${formatChange(change)}`);
  if (!dryRun) {
    await deps.api.write((stripe) => stripe.webhookEndpoints.update(endpoint.id, params));
    deps.print(`  Updated ${endpoint.id}.`);
  }
  return { outcome: 'updated', endpointId: endpoint.id, changes, dryRun, warnings };
}

/** Why the endpoint's deliveries cannot verify, if its secret is not in the store; else undefined. */
function missingSecret(endpoint: Stripe.WebhookEndpoint, stored: readonly string[], storeName: string): string | undefined {
  const fingerprint = fingerprintOf(endpoint);
  const fix = `every delivery fails verification. Run this command with --rotate --overlap 0 to replace it with an endpoint whose secret is stored.`;
  if (fingerprint && !stored.some((secret) => secretFingerprint(secret) === fingerprint)) {
    return `Its signing secret (fingerprint ${fingerprint}) is not in ${storeName}: ${fix}`;
  }
  if (!fingerprint && stored.length === 0) return `It has no secret fingerprint and ${storeName} holds no signing secret: ${fix}`;
  return undefined;
}

/**
 * Creates an endpoint and stores its secret, in the order that a crash at any point can be found
 * afterwards: create, record the secret's fingerprint on the endpoint, then write the store. An
 * endpoint whose fingerprint is missing or not in the store has lost its secret (Stripe shows it only
 * once): a rotation deletes it and starts over, and `ensureEndpoint` says so.
 *
 * @param extraMetadata added to the desired metadata (a rotation's `replaces`).
 * @param keep the stored secrets to keep beside the new one.
 * @returns the endpoint, without its secret.
 */
export async function createEndpoint(
  desired: DesiredEndpoint,
  extraMetadata: Readonly<Record<string, string>>,
  keep: readonly string[],
  deps: EndpointDeps,
): Promise<{ readonly id: string; readonly fingerprint: string }> {
  const created = await deps.api.write((stripe) =>
    stripe.webhookEndpoints.create({
      url: desired.url,
      enabled_events: [...desired.enabled_events] as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
      api_version: desired.api_version as Stripe.WebhookEndpointCreateParams.ApiVersion,
      description: desired.description,
      metadata: { ...desired.metadata, ...extraMetadata },
    }),
  );
  const { id, secret } = created;
  deps.print(`  Created ${id} (API version ${created.api_version ?? 'the account default'}).`);
  if (!secret?.startsWith('whsec_')) {
    await deleteQuietly(id, deps);
    throw new Error(`Stripe returned no signing secret for the new endpoint ${id}, so it was deleted again`);
  }
  const fingerprint = secretFingerprint(secret);
  try {
    await deps.api.write((stripe) => stripe.webhookEndpoints.update(id, { metadata: { secret_fingerprint: fingerprint } }));
    await deps.store.write([...new Set([...keep, secret])]);
  } catch (error) {
    // The secret exists nowhere else: an endpoint kept without it could never be verified.
    deps.print(`  Could not record the new endpoint's secret, so ${id} is being deleted again.`);
    await deleteQuietly(id, deps);
    throw error;
  }
  deps.print(`  Stored the signing secret of ${id} (fingerprint ${fingerprint}) in ${deps.store.name}.`);
  return { id, fingerprint };
}

/** Deletes an endpoint; one that is already gone counts as deleted. */
export async function deleteEndpoint(id: string, api: StripeApi): Promise<void> {
  try {
    await api.write((stripe) => stripe.webhookEndpoints.del(id));
  } catch (error) {
    if (!(error instanceof StripeApiError && error.failure === 'not_found')) throw error;
  }
}

async function deleteQuietly(id: string, deps: EndpointDeps): Promise<void> {
  try {
    await deleteEndpoint(id, deps.api);
  } catch {
    deps.print(`  Could not delete ${id} either: run the command again, or delete it in the Stripe Dashboard.`);
  }
}

/** When the endpoint's rotation began, in epoch milliseconds: its mark, else (mark lost or mangled) its creation. */
export function rotationStartedAt(endpoint: Stripe.WebhookEndpoint): number {
  const marked = Date.parse(endpoint.metadata?.rotation_started_at ?? '');
  return Number.isFinite(marked) ? marked : endpoint.created * 1000;
}

/** Tells a person why the tool will not touch more endpoints than it manages, and lists them. */
export function printConflict(endpoints: readonly Stripe.WebhookEndpoint[], print: (line: string) => void): void {
  print(`  ⚠ ${endpoints.length} endpoints have this URL, so Stripe sends every event ${endpoints.length} times. The tool manages one (two while it rotates a secret) and changes nothing here.`);
  print('  Delete the extra ones (Stripe Dashboard → Developers → Webhooks), then run this again:');
  for (const endpoint of endpoints) {
    const marks = [`created ${new Date(endpoint.created * 1000).toISOString()}`, endpoint.status, `fingerprint ${fingerprintOf(endpoint) ?? 'none'}`];
    if (replacesOf(endpoint)) marks.push(`replaces ${replacesOf(endpoint)}`);
    print(`    ${endpoint.id}  ${marks.join(', ')}`);
  }
}

function formatChange(change: FieldChange): string {
  return `${change.field}: ${change.from} → ${change.to}`;
}

function describeEvents(types: readonly string[]): string {
  if (types.includes('*')) return '* (every event type)';
  return `${types.length} type${types.length === 1 ? '' : 's'}`;
}

/** ` (+invoice.paid -customer.created)`; nothing when one side is `*`, whose delta would be the whole list. */
function eventDelta(from: readonly string[], to: readonly string[]): string {
  if (from.includes('*') || to.includes('*')) return '';
  const parts = [...to.filter((type) => !from.includes(type)).map((type) => `+${type}`), ...from.filter((type) => !to.includes(type)).map((type) => `-${type}`)];
  if (parts.length === 0) return '';
  const shown = parts.slice(0, 8).join(' ');
  return ` (${shown}${parts.length > 8 ? ` and ${parts.length - 8} more` : ''})`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

function quoted(value: string | null | undefined): string {
  return value ? JSON.stringify(value) : '(none)';
}
