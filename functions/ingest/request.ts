/**
 * API Gateway proxy events (HTTP API payload 2.0 and REST API payload 1.0) → one plain request shape.
 *
 * The body is returned as the exact bytes the client sent: the signature is computed over them, so
 * base64 bodies are decoded here and nothing re-serialises the JSON.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

export interface WebhookRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Header names in lower case, whatever case the client used. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type ApiGatewayEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent;

export function fromApiGatewayEvent(event: ApiGatewayEvent): WebhookRequest {
  const method = isHttpApiEvent(event) ? event.requestContext.http.method : event.httpMethod;
  return {
    method: (method ?? '').toUpperCase(),
    headers: lowerCaseHeaders(event.headers),
    body: rawBody(event.body, event.isBase64Encoded),
  };
}

function isHttpApiEvent(event: ApiGatewayEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === '2.0' || 'http' in ((event.requestContext ?? {}) as object);
}

function lowerCaseHeaders(headers: Record<string, string | undefined> | null | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) result[name.toLowerCase()] = value;
  }
  return result;
}

function rawBody(body: string | null | undefined, isBase64Encoded: boolean | undefined): Buffer {
  if (body === null || body === undefined) return Buffer.alloc(0);
  return isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}
