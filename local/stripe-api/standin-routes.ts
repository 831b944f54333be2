/**
 * The stand-in's own routes, under `/_standin/`, for a process that did not start it (the trigger
 * command, a test in another worker): record an event (snapshot or v2) as Stripe would have created it, inject or
 * clear faults, read the request log. JSON in and out; the API key is needed as for `/v1`.
 */
import { invalidRequest } from './errors';
import { FAULT_STATUSES, type Fault, type FaultStatus } from './faults';
import type { LoggedRequest, RouteContext } from './context';
import type { RecordableEvent, RecordableThinEvent } from './store';

/**
 * `POST /_standin/events` `{ event, delivered? }` → `{ recorded: "evt_…" }`. `event` is a snapshot event
 * (`object: "event"`), or a v2 event (`object: "v2.core.event"`, what `/v2/core/events/{id}` answers)
 * with, optionally, `relatedObject`: the object its `related_object` names, which its URL then answers.
 */
export function recordEventRoute(body: string, context: RouteContext): { recorded: string } {
  const { event, delivered, relatedObject } = jsonBody(body, '{"event": {…a Stripe event…}, "delivered": true}') as { event?: unknown; delivered?: unknown; relatedObject?: unknown };
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw invalidRequest(400, 'event must be a Stripe event object', { param: 'event' });
  const fields = event as Record<string, unknown>;
  if (typeof fields.id !== 'string' || fields.id === '') throw invalidRequest(400, 'event.id must be the event id (evt_…)', { param: 'event.id' });
  if (typeof fields.type !== 'string' || fields.type === '') throw invalidRequest(400, 'event.type must be the event type, e.g. payment_intent.succeeded', { param: 'event.type' });
  // Accepted for a v2 event too, so both kinds share one body; only /v1/events filters on it.
  if (delivered !== undefined && typeof delivered !== 'boolean') throw invalidRequest(400, 'delivered must be true or false', { param: 'delivered' });

  if (fields.object === 'v2.core.event') {
    recordThinEvent(fields as Record<string, unknown> & RecordableThinEvent, relatedObject, context);
    return { recorded: fields.id };
  }
  if (fields.object !== 'event') throw invalidRequest(400, 'event.object must be "event" (a snapshot event) or "v2.core.event" (a v2 event)', { param: 'event.object' });
  if (!Number.isInteger(fields.created)) throw invalidRequest(400, 'event.created must be the creation time in epoch seconds', { param: 'event.created' });
  if (relatedObject !== undefined) throw invalidRequest(400, "relatedObject goes with a v2 event; a snapshot event's object is its data.object", { param: 'relatedObject' });

  context.store.recordEvent(fields as Record<string, unknown> & RecordableEvent, { delivered: delivered ?? true });
  return { recorded: fields.id };
}

function recordThinEvent(event: Record<string, unknown> & RecordableThinEvent, relatedObject: unknown, context: RouteContext): void {
  if (!/^v\d+\./.test(event.type)) throw invalidRequest(400, 'event.type must be a v2 event type, e.g. v1.billing.meter.error_report_triggered', { param: 'event.type' });
  if (typeof event.created !== 'string' || Number.isNaN(Date.parse(event.created))) {
    throw invalidRequest(400, 'event.created must be the creation time as an ISO 8601 string', { param: 'event.created' });
  }
  const named = (event.related_object as { id?: unknown } | null | undefined)?.id;
  if (relatedObject !== undefined) {
    const object = relatedObject as { id?: unknown; object?: unknown } | null;
    if (typeof object !== 'object' || object === null || Array.isArray(object) || typeof object.id !== 'string' || typeof object.object !== 'string') {
      throw invalidRequest(400, 'relatedObject must be a Stripe object, with its id and object type', { param: 'relatedObject' });
    }
    if (object.id !== named) throw invalidRequest(400, `relatedObject must be the object event.related_object names (${typeof named === 'string' ? named : 'it names none'})`, { param: 'relatedObject' });
  }
  context.store.recordThinEvent(event, relatedObject === undefined ? {} : { relatedObject });
}

/** `POST /_standin/faults` `{ method?, path? (a RegExp source), status, times, retryAfterSeconds? }`. */
export function injectFaultRoute(body: string, context: RouteContext): { injected: { method?: string; path?: string; status: FaultStatus; times: number } } {
  const input = jsonBody(body, '{"status": 429, "times": 1, "path": "^/v1/events", "method": "GET", "retryAfterSeconds": 2}') as Record<string, unknown>;
  const { method, path, status, times, retryAfterSeconds } = input;
  if (!FAULT_STATUSES.includes(status as FaultStatus)) throw invalidRequest(400, `status must be one of ${FAULT_STATUSES.join(', ')}`, { param: 'status' });
  if (!Number.isInteger(times) || (times as number) < 1) throw invalidRequest(400, 'times must be a whole number from 1', { param: 'times' });
  if (method !== undefined && (typeof method !== 'string' || method === '')) throw invalidRequest(400, 'method must be an HTTP method such as GET', { param: 'method' });
  if (retryAfterSeconds !== undefined && (!Number.isInteger(retryAfterSeconds) || (retryAfterSeconds as number) < 0)) {
    throw invalidRequest(400, 'retryAfterSeconds must be a whole number of seconds', { param: 'retryAfterSeconds' });
  }
  const pattern = path === undefined ? undefined : pathPattern(path);
  const fault: Fault = {
    status: status as FaultStatus,
    times: times as number,
    ...(method !== undefined ? { method: method as string } : {}),
    ...(pattern ? { path: pattern } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds: retryAfterSeconds as number } : {}),
  };
  context.control.injectFault(fault);
  return { injected: { status: fault.status, times: fault.times, ...(fault.method ? { method: fault.method } : {}), ...(pattern ? { path: pattern.source } : {}) } };
}

/** `DELETE /_standin/faults` → how many faults were still armed. */
export function clearFaultsRoute(context: RouteContext): { cleared: number } {
  return { cleared: context.control.clearFaults() };
}

/** `GET /_standin/requests` → every `/v1` and `/v2` request so far, in order. */
export function requestsRoute(context: RouteContext): { requests: readonly LoggedRequest[] } {
  return { requests: context.control.requests };
}

function pathPattern(source: unknown): RegExp {
  const problem = invalidRequest(400, 'path must be the source of a regular expression, e.g. "^/v1/events"', { param: 'path' });
  if (typeof source !== 'string') throw problem;
  try {
    return new RegExp(source);
  } catch {
    throw problem;
  }
}

function jsonBody(body: string, example: string): unknown {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // Answered below.
  }
  throw invalidRequest(400, `The body must be a JSON object, such as ${example}`);
}
