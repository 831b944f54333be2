/**
 * A stand-in for the HTTP handler under the ingest's calls to AWS (functions/ingest/aws-json-client.ts):
 * it records each signed request and answers with what the test scripts, for the faults an emulator
 * cannot produce (throttling, a 500, a corrupted answer) and for Secrets Manager, which has no emulator here.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { HttpRequest } from '@smithy/core/protocols';

export interface ScriptedAnswer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  /** Fail without an answer, as a dropped connection does. */
  readonly networkError?: string;
}

export interface RecordedRequest {
  readonly target: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly input: Record<string, unknown>;
}

/** Answers each request with `answer(request)`; keeps every request it saw. */
export function scriptedAws(answer: (request: RecordedRequest) => ScriptedAnswer) {
  const requests: RecordedRequest[] = [];
  const handler = {
    requests,
    handle: async (request: HttpRequest) => {
      const recorded: RecordedRequest = {
        target: request.headers['x-amz-target'] ?? '',
        url: `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}`,
        headers: request.headers,
        input: JSON.parse(typeof request.body === 'string' ? request.body : Buffer.from((request.body as Uint8Array).buffer, (request.body as Uint8Array).byteOffset, (request.body as Uint8Array).byteLength).toString('utf8')) as Record<string, unknown>,
      };
      requests.push(recorded);
      const scripted = answer(recorded);
      if (scripted.networkError) throw Object.assign(new Error(`socket hang up (${scripted.networkError})`), { code: scripted.networkError });
      const text = scripted.body === undefined ? '' : JSON.stringify(scripted.body);
      return { response: { statusCode: scripted.status ?? 200, headers: scripted.headers ?? {}, body: Readable.from([Buffer.from(text)]) } };
    },
  };
  return handler;
}

/** SQS's answer to a SendMessage: a message id and the MD5 of the body it stored. */
export function sendMessageAnswer(request: RecordedRequest): ScriptedAnswer {
  const md5 = createHash('md5').update(String(request.input.MessageBody)).digest('hex');
  return { body: { MessageId: `m-${Math.random().toString(36).slice(2)}`, MD5OfMessageBody: md5 } };
}
