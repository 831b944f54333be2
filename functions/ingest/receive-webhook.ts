/**
 * The ingest core: a webhook request → a verified event (snapshot or thin notification) on the queue.
 *
 * It returns only once SQS has accepted the message. Every other outcome is a thrown PipelineError,
 * which the API Gateway adapter maps to a status: BadRequestError → 4xx, anything else → 5xx so that
 * Stripe retries. Nothing here touches AWS directly; the queue and the secrets are passed in.
 */
import type { EventForm } from '../shared/envelope';
import { MethodNotAllowedError, PayloadTooLargeError, SignatureVerificationError } from '../shared/errors';
import { messageSize, snapshotMessage, thinMessage, type QueuedMessage } from '../shared/message';
import { parseEvent, verifySignature } from './verify';
import type { WebhookRequest } from './request';

export interface SigningSecrets {
  get(): Promise<readonly string[]>;
  refreshAfterMismatch(): Promise<readonly string[] | undefined>;
}

/** Sends the message and resolves once SQS has accepted it; throws NotQueuedError otherwise. */
export type Enqueue = (message: QueuedMessage) => Promise<void>;

export interface ReceiveDeps {
  readonly secrets: SigningSecrets;
  readonly enqueue: Enqueue;
  readonly toleranceSeconds: number;
  readonly maxMessageBytes: number;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

export interface ReceivedEvent {
  readonly id: string;
  readonly type: string;
  readonly form: EventForm;
}

export async function receiveWebhook(request: WebhookRequest, deps: ReceiveDeps): Promise<ReceivedEvent> {
  if (request.method !== 'POST') throw new MethodNotAllowedError(`Method ${request.method || '(none)'} not allowed: use POST`);
  // Cheap early refusal: the body alone is already too big, whatever the attributes add.
  if (request.body.length > deps.maxMessageBytes) throw tooLarge(request.body.length, deps.maxMessageBytes);

  const receivedAt = deps.now();
  await verifyWithCurrentSecrets(request, deps, receivedAt);
  // Decoded once: parsed here, and queued as the message body.
  const body = request.body.toString('utf8');
  const payload = parseEvent(body);
  const arrival = { source: 'webhook', receivedAt: new Date(receivedAt) } as const;
  const event = payload.form === 'snapshot' ? payload.event : payload.notification;
  const message = payload.form === 'snapshot' ? snapshotMessage(payload.event, body, arrival) : thinMessage(payload.notification, body, arrival);
  const size = messageSize(Buffer.byteLength(body), message.attributes);
  if (size > deps.maxMessageBytes) throw tooLarge(size, deps.maxMessageBytes);

  await deps.enqueue(message);
  return { id: event.id, type: event.type, form: payload.form };
}

async function verifyWithCurrentSecrets(request: WebhookRequest, deps: ReceiveDeps, now: number): Promise<void> {
  const header = request.headers['stripe-signature'];
  const options = { toleranceSeconds: deps.toleranceSeconds, now };
  try {
    verifySignature(request.body, header, { ...options, secrets: await deps.secrets.get() });
  } catch (error) {
    if (!(error instanceof SignatureVerificationError) || error.reason !== 'no_match') throw error;
    // The secret may have been rolled since we cached it: try once more with a fresh copy.
    const refreshed = await deps.secrets.refreshAfterMismatch();
    if (!refreshed) throw error;
    verifySignature(request.body, header, { ...options, secrets: refreshed });
  }
}

function tooLarge(size: number, limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`Message of ${size} bytes exceeds the queue's ${limit}-byte limit`);
}
