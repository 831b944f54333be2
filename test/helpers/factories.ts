/** Fixture factories: signed webhook requests, API Gateway events, queue message attributes and SQS records. */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, SQSRecord } from 'aws-lambda';
import Stripe from 'stripe';
import { MESSAGE_ATTRIBUTE, snapshotMessage, type StringAttributes } from '../../functions/shared/message';
import type { SnapshotEventFields } from '../../functions/shared/stripe-event';

export const TEST_SECRET = 'whsec_test_primary_0123456789abcdef';
export const OTHER_SECRET = 'whsec_test_rotated_fedcba9876543210';

export interface SignedBody {
  readonly body: string;
  readonly header: string;
}

/** The JSON body Stripe would send and a real Stripe-Signature header for it. */
export function signedBody(event: unknown, options: { secret?: string; timestamp?: number; secrets?: readonly string[] } = {}): SignedBody {
  const body = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const secrets = options.secrets ?? [options.secret ?? TEST_SECRET];
  // During a secret roll Stripe sends one v1 signature per active secret in the same header.
  const signatures = secrets.map((secret) => Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }).split(',')[1]);
  return { body, header: `t=${timestamp},${signatures.join(',')}` };
}

export interface HttpApiEventOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly base64?: boolean;
}

/** An API Gateway HTTP API (payload 2.0) proxy event. */
export function httpApiEvent(body: string | undefined, options: HttpApiEventOptions = {}): APIGatewayProxyEventV2 {
  const method = options.method ?? 'POST';
  return {
    version: '2.0',
    routeKey: `${method} /webhook`,
    rawPath: '/webhook',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...options.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'example.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'example',
      http: { method, path: '/webhook', protocol: 'HTTP/1.1', sourceIp: '3.18.12.63', userAgent: 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
      requestId: 'request-id',
      routeKey: `${method} /webhook`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    body: body === undefined ? undefined : options.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: options.base64 ?? false,
  };
}

/** An API Gateway REST API (payload 1.0) proxy event. Header names keep the case the client sent. */
export function restApiEvent(body: string | null, options: HttpApiEventOptions = {}): APIGatewayProxyEvent {
  const method = options.method ?? 'POST';
  const headers = { 'Content-Type': 'application/json', ...options.headers };
  return {
    resource: '/webhook',
    path: '/webhook',
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { httpMethod: method, path: '/prod/webhook', requestId: 'request-id', stage: 'prod' } as APIGatewayProxyEvent['requestContext'],
    body: body === null ? null : options.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: options.base64 ?? false,
  };
}

/** A signed HTTP API event for a Stripe event: what API Gateway hands the ingest for a real delivery. */
export function signedHttpApiEvent(event: unknown, options: { secret?: string; timestamp?: number; headerName?: string } = {}): APIGatewayProxyEventV2 {
  const { body, header } = signedBody(event, options);
  return httpApiEvent(body, { headers: { [options.headerName ?? 'stripe-signature']: header } });
}

let sequence = 0;

/** The attributes the ingest puts on a snapshot event's message (format 2). */
export function snapshotAttributes(event: SnapshotEventFields, receivedAt = new Date()): StringAttributes {
  return snapshotMessage(event, '', { source: 'webhook', receivedAt }).attributes;
}

/**
 * The attributes of the first message format, before it was versioned: no Format, Kind or Source.
 * Messages like these may still be on a queue, or in the dead-letter queue, during an upgrade.
 */
export function formatOneAttributes(event: SnapshotEventFields, receivedAt = new Date()): StringAttributes {
  const attributes = snapshotAttributes(event, receivedAt);
  for (const name of [MESSAGE_ATTRIBUTE.format, MESSAGE_ATTRIBUTE.kind, MESSAGE_ATTRIBUTE.source]) delete attributes[name];
  return attributes;
}

export interface SqsRecordOptions {
  readonly messageId?: string;
  readonly receiveCount?: number;
  /** @default the attributes the ingest writes today */
  readonly attributes?: StringAttributes;
  readonly force?: boolean;
}

/** An SQS record as Lambda's event source mapping delivers it, for a message the ingest would send. */
export function sqsRecord(event: SnapshotEventFields | string, options: SqsRecordOptions = {}): SQSRecord {
  const body = typeof event === 'string' ? event : JSON.stringify(event);
  const attributes = { ...(options.attributes ?? (typeof event === 'string' ? {} : snapshotAttributes(event))) };
  if (options.force) attributes[MESSAGE_ATTRIBUTE.forceReprocess] = { DataType: 'String', StringValue: 'true' };
  return {
    messageId: options.messageId ?? `message-${++sequence}`,
    receiptHandle: `receipt-${sequence}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(Date.now()),
      SenderId: 'sender',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, { StringValue }]) => [name, { dataType: 'String', stringValue: StringValue }]),
    ),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:stripe-events',
    awsRegion: 'us-east-1',
  };
}
