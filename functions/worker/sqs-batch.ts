/**
 * The SQS adapter: a batch of messages → the batch's new events committed together (process-batch),
 * the rest through processEvent one by one, answered with a partial batch response so that one
 * failing event never sends its batch-mates back to the queue.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type Stripe from 'stripe';
import { MalformedMessageError } from '../shared/errors';
import { MESSAGE_ATTRIBUTE } from '../shared/message';
import { asStripeEvent } from '../shared/stripe-event';
import { commitTogether, type BatchCandidate } from './process-batch';
import { processEvent, type ProcessDeps } from './process-event';

export interface WorkerAdapterDeps extends ProcessDeps {
  /** Called after every batch, e.g. to flush metrics. */
  readonly afterBatch?: () => void;
}

export type WorkerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

export function createWorkerHandler(deps: WorkerAdapterDeps): WorkerHandler {
  return async (event, context) => {
    try {
      // New events with DynamoDB-only effects commit together first; the rest go one by one below.
      const committed = await commitTogether(batchCandidates(event.Records), deps);
      const handleRecord = async (record: SQSRecord) => {
        const done = committed.get(record.messageId);
        if (done) return done;
        const { receivedAt, force } = deliveryInfo(record);
        return processEvent(parseMessage(record), { receivedAt, force }, deps);
      };
      // A processor holds one batch's state, so each batch gets its own (the local poller runs several at once).
      const processor = new BatchProcessor(EventType.SQS);
      // A batch that fails whole is still answered item by item, so every caller handles one shape.
      return await processPartialResponse(event, handleRecord, processor, { context: context as Context, throwOnFullBatchFailure: false });
    } finally {
      deps.afterBatch?.();
    }
  };
}

function deliveryInfo(record: SQSRecord): { receivedAt?: string; force: boolean } {
  const attributes = record.messageAttributes ?? {};
  return {
    receivedAt: attributes[MESSAGE_ATTRIBUTE.receivedAt]?.stringValue,
    force: attributes[MESSAGE_ATTRIBUTE.forceReprocess]?.stringValue === 'true',
  };
}

/** Records that may take the combined commit: well-formed events, not forced. */
function batchCandidates(records: readonly SQSRecord[]): BatchCandidate[] {
  const candidates: BatchCandidate[] = [];
  for (const record of records) {
    const { receivedAt, force } = deliveryInfo(record);
    if (force) continue;
    try {
      candidates.push({ key: record.messageId, event: parseMessage(record), receivedAt });
    } catch {
      // Malformed: processEvent's path reports it.
    }
  }
  return candidates;
}

/** The message body is the raw event JSON that the ingest verified. */
export function parseMessage(record: Pick<SQSRecord, 'body' | 'messageId'>): Stripe.Event {
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.body);
  } catch {
    throw new MalformedMessageError(`Message ${record.messageId} is not JSON`);
  }
  const event = asStripeEvent(parsed);
  if (typeof event === 'string') throw new MalformedMessageError(`Message ${record.messageId} is not a Stripe event: ${event}`);
  return event;
}
