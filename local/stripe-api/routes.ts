/**
 * Which route answers a request: one table of method, path and handler. A path the table does not
 * know, or a method it does not take there, gets Stripe's "Unrecognized request URL" 404.
 */
import { clearFaultsRoute, injectFaultRoute, recordEventRoute, requestsRoute } from './standin-routes';
import { createEndpoint, deleteEndpoint, listEndpoints, retrieveEndpoint, updateEndpoint } from './endpoint-routes';
import { unrecognizedUrl } from './errors';
import { listEvents, OBJECT_COLLECTIONS, retrieveEvent, retrieveObject, retrieveThinEvent } from './events-routes';
import type { RouteContext, StandInRequest, StandInResponse } from './context';

interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Its groups are the path's parameters, URL-decoded before the handler sees them. */
  readonly path: RegExp;
  readonly status?: number;
  readonly handle: (request: StandInRequest, context: RouteContext, ...pathParams: string[]) => unknown;
}

const collections = Object.keys(OBJECT_COLLECTIONS).join('|');

const ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/v1\/events$/, handle: (request, context) => listEvents(request.params, context) },
  { method: 'GET', path: /^\/v1\/events\/([^/]+)$/, handle: (request, context, id) => retrieveEvent(id!, request.params, context) },
  { method: 'GET', path: /^\/v2\/core\/events\/([^/]+)$/, handle: (request, context, id) => retrieveThinEvent(id!, request.params, context) },
  { method: 'POST', path: /^\/v1\/webhook_endpoints$/, handle: (request, context) => createEndpoint(request.params, context) },
  { method: 'GET', path: /^\/v1\/webhook_endpoints$/, handle: (request, context) => listEndpoints(request.params, context) },
  { method: 'GET', path: /^\/v1\/webhook_endpoints\/([^/]+)$/, handle: (request, context, id) => retrieveEndpoint(id!, request.params, context) },
  { method: 'POST', path: /^\/v1\/webhook_endpoints\/([^/]+)$/, handle: (request, context, id) => updateEndpoint(id!, request.params, context) },
  { method: 'DELETE', path: /^\/v1\/webhook_endpoints\/([^/]+)$/, handle: (request, context, id) => deleteEndpoint(id!, request.params, context) },
  {
    method: 'GET',
    path: new RegExp(`^/v1/(${collections})/([^/]+)$`),
    handle: (request, context, collection, id) => retrieveObject(collection!, id!, request.params, context),
  },
  { method: 'POST', path: /^\/_standin\/events$/, status: 201, handle: (request, context) => recordEventRoute(request.body, context) },
  { method: 'POST', path: /^\/_standin\/faults$/, handle: (request, context) => injectFaultRoute(request.body, context) },
  { method: 'DELETE', path: /^\/_standin\/faults$/, handle: (_request, context) => clearFaultsRoute(context) },
  { method: 'GET', path: /^\/_standin\/requests$/, handle: (_request, context) => requestsRoute(context) },
];

/** The answer to one authenticated request; Stripe-shaped errors are thrown as StripeErrorResponse. */
export function route(request: StandInRequest, context: RouteContext): StandInResponse {
  for (const candidate of ROUTES) {
    if (candidate.method !== request.method) continue;
    const match = candidate.path.exec(request.path);
    if (!match) continue;
    const body = candidate.handle(request, context, ...match.slice(1).map(decodeSegment));
    return { status: candidate.status ?? 200, body };
  }
  throw unrecognizedUrl(request.method, request.path);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // Malformed escapes name no object; the id as sent gives the usual "No such …" answer.
    return segment;
  }
}
