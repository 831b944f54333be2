/**
 * The Webhook Endpoints API: create, retrieve, update, list, delete, with Stripe's parameters and
 * rules. The signing secret is in the creation response only, as at Stripe, and is not kept.
 */
import { invalidParam, invalidRequest, missingParam, resourceMissing } from './errors';
import type { FormHash } from './form';
import { PAGE_PARAMS, pageParams, paginate, type ListPage } from './list';
import { optionalBoolean, optionalMetadata, optionalString, optionalStringArray, rejectUnknown, requiredString } from './params';
import type { RouteContext } from './context';
import { MAX_WEBHOOK_ENDPOINTS, newId, type WebhookEndpoint } from './store';

/** `2026-10-28` or `2026-10-28.endive`. */
const API_VERSION = /^\d{4}-\d{2}-\d{2}(?:\.[a-z][a-z_]*)?$/;
/** `*` or a dotted event name; the stand-in checks the form, not Stripe's list of types. */
const EVENT_NAME = /^(?:\*|[a-z0-9_]+(?:\.[a-z0-9_]+)+)$/;

const NOUN = 'webhook endpoint';

/** `POST /v1/webhook_endpoints`: the new endpoint and, this once, its secret. */
export function createEndpoint(params: FormHash, context: RouteContext): WebhookEndpoint & { secret: string } {
  rejectUnknown(params, ['url', 'enabled_events', 'api_version', 'connect', 'description', 'metadata']);
  const url = endpointUrl(requiredString(params, 'url'));
  const enabledEvents = enabledEventsParam(params);
  if (enabledEvents === undefined) throw missingParam('enabled_events');
  const apiVersion = optionalString(params, 'api_version');
  if (apiVersion !== undefined && !API_VERSION.test(apiVersion)) {
    throw invalidParam('api_version', `Invalid api_version: '${apiVersion}'. Pass an API version such as 2026-10-28 or 2026-10-28.endive.`);
  }
  // Connect endpoints receive connected accounts' events; the stand-in delivers nothing, so it only checks the value.
  optionalBoolean(params, 'connect');
  const description = optionalString(params, 'description');
  const metadata = optionalMetadata(params);

  if (context.store.listedEndpoints().length >= MAX_WEBHOOK_ENDPOINTS) {
    throw invalidRequest(400, `You have reached the maximum of ${MAX_WEBHOOK_ENDPOINTS} test webhook endpoints.`);
  }
  const endpoint = context.store.createEndpoint(
    {
      url,
      enabled_events: enabledEvents,
      api_version: apiVersion ?? null,
      description: description || null,
      metadata: Object.fromEntries(Object.entries(metadata?.values ?? {}).filter(([, value]) => value !== '')),
    },
    Math.floor(context.now() / 1000),
  );
  return { ...endpoint, secret: newId('whsec', 32) };
}

/** `GET /v1/webhook_endpoints/{id}`, without the secret. */
export function retrieveEndpoint(id: string, params: FormHash, context: RouteContext): WebhookEndpoint {
  rejectUnknown(params, []);
  const endpoint = context.store.endpoint(id);
  if (!endpoint) throw resourceMissing(NOUN, id);
  return endpoint;
}

/**
 * `POST /v1/webhook_endpoints/{id}`: `url`, `enabled_events`, `description`, `metadata` (merged; an
 * empty value deletes a key) and `disabled`. Stripe does not let `api_version` change: an endpoint
 * for another version is a new endpoint, so it is an unknown parameter here.
 */
export function updateEndpoint(id: string, params: FormHash, context: RouteContext): WebhookEndpoint {
  rejectUnknown(params, ['url', 'enabled_events', 'description', 'metadata', 'disabled']);
  const url = optionalString(params, 'url');
  const enabledEvents = enabledEventsParam(params);
  const description = optionalString(params, 'description');
  const metadata = optionalMetadata(params);
  const disabled = optionalBoolean(params, 'disabled');
  const endpoint = context.store.updateEndpoint(id, {
    ...(url !== undefined ? { url: endpointUrl(url) } : {}),
    ...(enabledEvents !== undefined ? { enabled_events: enabledEvents } : {}),
    ...(description !== undefined ? { description: description || null } : {}),
    ...(metadata ? { metadata: metadata.values, clearMetadata: metadata.clear } : {}),
    ...(disabled !== undefined ? { disabled } : {}),
  });
  if (!endpoint) throw resourceMissing(NOUN, id);
  return endpoint;
}

/** `GET /v1/webhook_endpoints`: newest first. */
export function listEndpoints(params: FormHash, context: RouteContext): ListPage<WebhookEndpoint> {
  rejectUnknown(params, PAGE_PARAMS);
  return paginate(context.store.listedEndpoints(), () => true, pageParams(params), '/v1/webhook_endpoints', NOUN);
}

/** `DELETE /v1/webhook_endpoints/{id}`: Stripe's deleted object. */
export function deleteEndpoint(id: string, params: FormHash, context: RouteContext): { deleted: true; id: string; object: 'webhook_endpoint' } {
  rejectUnknown(params, []);
  if (!context.store.deleteEndpoint(id)) throw resourceMissing(NOUN, id);
  return { deleted: true, id, object: 'webhook_endpoint' };
}

function endpointUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // Answered below, with the same error as a URL of another scheme.
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw invalidParam('url', `Invalid URL: ${text}. A webhook endpoint's URL must be an http:// or https:// URL.`, 'url_invalid');
  }
  return text;
}

/** Present and non-empty, each `*` or an event name; undefined when not sent. */
function enabledEventsParam(params: FormHash): string[] | undefined {
  const events = optionalStringArray(params, 'enabled_events');
  if (events === undefined) return undefined;
  if (events.length === 0) throw missingParam('enabled_events');
  const bad = events.findIndex((event) => !EVENT_NAME.test(event));
  if (bad !== -1) throw invalidParam(`enabled_events[${bad}]`, `Invalid enabled_events[${bad}]: '${events[bad]}' is not an event type (such as payment_intent.succeeded) or '*'.`);
  return events;
}
