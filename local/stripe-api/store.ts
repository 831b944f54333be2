/**
 * What the stand-in knows, in memory: the events recorded (as Stripe records every event it creates),
 * snapshot (`/v1/events`) and v2 (`/v2/core/events`: the full form of a thin event) apart, the latest
 * state of each object those events carry, and the account's webhook endpoints.
 *
 * No HTTP and no clock here: the routes read and write through this, and pass in the times.
 */
import { randomBytes } from 'node:crypto';

/** The stand-in's data, as tests and the local stack see it. */
export interface StandInStore {
  /**
   * Records an event as Stripe records every event it creates. `delivered: false` marks it as not
   * (yet) delivered to any endpoint (for delivery_success=false). Also records event.data.object as the
   * latest state of that object (by its id), unless an object with a later event.created is already
   * recorded. Recording an id again replaces that event (it keeps its place among ties).
   *
   * Generic so that a typed `Stripe.Event` (an interface, without an index signature) is accepted as
   * it is, as well as a plain `Record<string, unknown>`.
   */
  recordEvent<E extends RecordableEvent>(event: E, options?: { delivered?: boolean }): void;
  /** The event as recorded (frozen), whatever its age. */
  event(id: string): Record<string, unknown> | undefined;
  /**
   * Records a v2 event (`object: "v2.core.event"`), as `GET /v2/core/events/{id}` answers it: the full
   * form of a thin notification, with its `data`, `related_object`, `context` and `snapshot_event`.
   * Kept apart from the snapshot events: `GET /v1/events` never lists it, as Stripe's does not.
   * `relatedObject` is the object the event's `related_object` names; it is recorded as that object's
   * latest state (so its URL answers it), unless one from a later event is already recorded.
   *
   * @throws RangeError when `created` is not a date, or `relatedObject` is not the object `related_object` names.
   */
  recordThinEvent<E extends RecordableThinEvent>(event: E, options?: { relatedObject?: unknown }): void;
  /** The v2 event as recorded (frozen), whatever its age. */
  thinEvent(id: string): Record<string, unknown> | undefined;
  /** Every event recorded, in the order `GET /v1/events` lists them (newest first), retention aside. */
  readonly events: readonly Record<string, unknown>[];
  /** The webhook endpoints, newest first as the API lists them, without their secrets. */
  endpoints(): readonly Record<string, unknown>[];
  /** Forgets every event (snapshot and v2), object and endpoint. */
  reset(): void;
}

/** What an event needs to be recorded: the rest of it is kept as it is. */
export interface RecordableEvent {
  readonly id: string;
  readonly created: number;
  readonly type: string;
}

/** What a v2 event needs to be recorded: the rest of it is kept as it is. */
export interface RecordableThinEvent {
  readonly id: string;
  readonly object: 'v2.core.event';
  readonly type: string;
  /** ISO 8601, as the v2 API gives times. */
  readonly created: string;
  readonly related_object?: { readonly id: string } | null;
}

/** A webhook endpoint in the shape of Stripe's `webhook_endpoint` object. */
export interface WebhookEndpoint {
  readonly id: string;
  readonly object: 'webhook_endpoint';
  readonly api_version: string | null;
  readonly application: null;
  readonly created: number;
  readonly description: string | null;
  readonly enabled_events: readonly string[];
  readonly livemode: false;
  readonly metadata: Readonly<Record<string, string>>;
  readonly status: 'enabled' | 'disabled';
  readonly url: string;
}

export interface NewEndpoint {
  readonly url: string;
  readonly enabled_events: readonly string[];
  readonly api_version: string | null;
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface EndpointChanges {
  readonly url?: string;
  readonly enabled_events?: readonly string[];
  readonly description?: string | null;
  /** Merged into the endpoint's metadata; an empty value deletes that key. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Drops all metadata before merging (`metadata=` in the request). */
  readonly clearMetadata?: boolean;
  readonly disabled?: boolean;
}

export interface RecordedEvent {
  readonly event: Readonly<Record<string, unknown>>;
  readonly id: string;
  readonly created: number;
  readonly type: string;
  readonly delivered: boolean;
}

export interface RecordedThinEvent {
  readonly event: Readonly<Record<string, unknown>>;
  readonly id: string;
  /** Epoch seconds, from the event's ISO `created`: what retention compares. */
  readonly created: number;
  readonly type: string;
}

/** Stripe lets an account have this many webhook endpoints (per mode). */
export const MAX_WEBHOOK_ENDPOINTS = 16;

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random Stripe-looking id: `we_1Pgc6yB7WZ01zgkWzAudq4eU`. */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  return `${prefix}_${[...bytes].map((byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join('')}`;
}

interface Stored<T> {
  readonly value: T;
  /** Order of first recording: later wins ties in list order. */
  readonly seq: number;
}

/** The in-memory store behind one stand-in. */
export class MemoryStore implements StandInStore {
  private readonly recorded = new Map<string, Stored<RecordedEvent>>();
  private readonly recordedThin = new Map<string, RecordedThinEvent>();
  private readonly objects = new Map<string, { readonly object: Readonly<Record<string, unknown>>; readonly eventCreated: number }>();
  private readonly webhookEndpoints = new Map<string, Stored<WebhookEndpoint>>();
  private seq = 0;
  private ordered: readonly RecordedEvent[] | undefined;

  recordEvent<E extends RecordableEvent>(event: E, options: { delivered?: boolean } = {}): void {
    // A frozen copy: the caller may reuse its object, and every reader shares this one safely.
    const frozen = deepFreeze(structuredClone(event) as unknown as Readonly<Record<string, unknown>>);
    const value: RecordedEvent = { event: frozen, id: event.id, created: event.created, type: event.type, delivered: options.delivered ?? true };
    this.recorded.set(event.id, { value, seq: this.recorded.get(event.id)?.seq ?? this.seq++ });
    this.ordered = undefined;

    const object = (frozen.data as { object?: Readonly<Record<string, unknown>> } | undefined)?.object;
    if (typeof object?.id === 'string') this.recordObject(object, event.created);
  }

  event(id: string): Record<string, unknown> | undefined {
    return this.recorded.get(id)?.value.event;
  }

  recordThinEvent<E extends RecordableThinEvent>(event: E, options: { relatedObject?: unknown } = {}): void {
    const createdMs = Date.parse(event.created);
    if (Number.isNaN(createdMs)) throw new RangeError(`A v2 event's created must be an ISO 8601 time, got ${JSON.stringify(event.created)}`);
    const created = Math.floor(createdMs / 1000);
    const related = options.relatedObject;
    if (related !== undefined) {
      const named = event.related_object?.id;
      const relatedId = (related as { id?: unknown } | null)?.id;
      if (typeof related !== 'object' || related === null || typeof (related as { object?: unknown }).object !== 'string' || relatedId !== named) {
        throw new RangeError(`relatedObject must be the object event ${event.id}'s related_object names (${named ?? 'it names none'}), with its id and object type`);
      }
    }
    const frozen = deepFreeze(structuredClone(event) as unknown as Readonly<Record<string, unknown>>);
    this.recordedThin.set(event.id, { event: frozen, id: event.id, created, type: event.type });
    if (related !== undefined) this.recordObject(deepFreeze(structuredClone(related) as Readonly<Record<string, unknown>>), created);
  }

  thinEvent(id: string): Record<string, unknown> | undefined {
    return this.recordedThin.get(id)?.event;
  }

  /** The v2 event with what the routes filter on. */
  recordedThinEvent(id: string): RecordedThinEvent | undefined {
    return this.recordedThin.get(id);
  }

  /** The event with what the routes filter on. */
  recordedEvent(id: string): RecordedEvent | undefined {
    return this.recorded.get(id)?.value;
  }

  get events(): readonly Record<string, unknown>[] {
    return this.listedEvents().map((recorded) => recorded.event);
  }

  /** Every recorded event in list order: created descending, the latest recorded first among ties. */
  listedEvents(): readonly RecordedEvent[] {
    this.ordered ??= newestFirst([...this.recorded.values()], (event) => event.created);
    return this.ordered;
  }

  /** The latest recorded state of an object, by id. */
  object(id: string): Readonly<Record<string, unknown>> | undefined {
    return this.objects.get(id)?.object;
  }

  /** Keeps an object as its latest state, unless one carried by a later event is already kept (a tie replaces it). */
  private recordObject(object: Readonly<Record<string, unknown>>, eventCreated: number): void {
    const id = object.id as string;
    const known = this.objects.get(id);
    if (known && known.eventCreated > eventCreated) return;
    this.objects.set(id, { object, eventCreated });
  }

  endpoints(): readonly Record<string, unknown>[] {
    return this.listedEndpoints().map((endpoint) => ({ ...endpoint }));
  }

  listedEndpoints(): readonly WebhookEndpoint[] {
    return newestFirst([...this.webhookEndpoints.values()], (endpoint) => endpoint.created);
  }

  endpoint(id: string): WebhookEndpoint | undefined {
    return this.webhookEndpoints.get(id)?.value;
  }

  createEndpoint(fields: NewEndpoint, created: number): WebhookEndpoint {
    const endpoint: WebhookEndpoint = {
      id: newId('we'),
      object: 'webhook_endpoint',
      api_version: fields.api_version,
      application: null,
      created,
      description: fields.description,
      enabled_events: [...fields.enabled_events],
      livemode: false,
      metadata: { ...fields.metadata },
      status: 'enabled',
      url: fields.url,
    };
    this.webhookEndpoints.set(endpoint.id, { value: endpoint, seq: this.seq++ });
    return endpoint;
  }

  /** The endpoint after the changes, or undefined when there is no such endpoint. */
  updateEndpoint(id: string, changes: EndpointChanges): WebhookEndpoint | undefined {
    const stored = this.webhookEndpoints.get(id);
    if (!stored) return undefined;
    const metadata: Record<string, string> = changes.clearMetadata ? {} : { ...stored.value.metadata };
    for (const [key, value] of Object.entries(changes.metadata ?? {})) {
      if (value === '') delete metadata[key];
      else metadata[key] = value;
    }
    const endpoint: WebhookEndpoint = {
      ...stored.value,
      ...(changes.url !== undefined ? { url: changes.url } : {}),
      ...(changes.enabled_events !== undefined ? { enabled_events: [...changes.enabled_events] } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.disabled !== undefined ? { status: changes.disabled ? 'disabled' : 'enabled' } : {}),
      metadata,
    };
    this.webhookEndpoints.set(id, { value: endpoint, seq: stored.seq });
    return endpoint;
  }

  deleteEndpoint(id: string): boolean {
    return this.webhookEndpoints.delete(id);
  }

  reset(): void {
    this.recorded.clear();
    this.recordedThin.clear();
    this.objects.clear();
    this.webhookEndpoints.clear();
    this.ordered = undefined;
  }
}

/** Stripe's list order: newest first, and among equal timestamps the one stored last first. */
function newestFirst<T>(items: readonly Stored<T>[], created: (value: T) => number): T[] {
  return [...items].sort((a, b) => created(b.value) - created(a.value) || b.seq - a.seq).map((item) => item.value);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
