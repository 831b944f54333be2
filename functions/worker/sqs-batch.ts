/**
 * The SQS adapter: a batch of messages → envelopes → the batch's new events committed together
 * (process-batch), the rest through processEvent one by one, answered with a partial batch response
 * so that one failing event never sends its batch-mates back to the queue.
 *
 * It is also the only part that reads SQS's receive counts. It hands each to the core, whose ledger
 * writes count a message on its first receive as a delivery of its event. And when an event fails on
 * the last receive the queue allows, SQS moves its message to the dead-letter queue, and the adapter
 * notes that in the ledger so that dead letters can be listed without receiving them.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { EventEnvelope } from '../shared/envelope';
import { describeError } from '../shared/errors';
import { MESSAGE_ATTRIBUTE } from '../shared/message';
import { ledgerEventOf } from './ledger';
import { commitTogether, type BatchCandidate } from './process-batch';
import { processEvent, type Outcome, type ProcessDeps } from './process-event';
import { readMessage } from './read-message';
import { currentObjectsOfBatch } from './stripe-reads';

export interface WorkerAdapterDeps extends ProcessDeps {
  /** The queue's maxReceiveCount: a failure on this receive sends the message to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Called after every batch, e.g. to flush metrics. */
  readonly afterBatch?: () => void;
}

export type WorkerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

interface Delivery {
  readonly record: SQSRecord;
  readonly force: boolean;
  /** SQS's ApproximateReceiveCount: 1 on the message's first receive, when it is a delivery of its event. */
  readonly receiveCount: number;
  /** The envelope, or why the message could not be read. */
  readonly read: { readonly envelope: EventEnvelope } | { readonly error: unknown };
}

export function createWorkerHandler(deps: WorkerAdapterDeps): WorkerHandler {
  return async (event, context) => {
    try {
      // The batch's events that ask for the same object's current state share one read of it.
      const batchDeps: WorkerAdapterDeps = deps.reads ? { ...deps, currentObject: currentObjectsOfBatch(deps.reads, deps.now) } : deps;
      const deliveries = new Map(event.Records.map((record) => [record.messageId, delivery(record)]));
      // New events with DynamoDB-only effects commit together first; the rest go one by one below.
      const committed = await commitTogether(batchCandidates(deliveries.values()), batchDeps);
      const handleRecord = async (record: SQSRecord): Promise<Outcome> => {
        const done = committed.get(record.messageId);
        if (done) return done;
        const { force, receiveCount, read } = deliveries.get(record.messageId)!;
        try {
          if ('error' in read) throw read.error;
          return await processEvent(read.envelope, { force, receiveCount }, batchDeps);
        } catch (error) {
          await noteIfDeadLettered(record, receiveCount, read, error, deps);
          throw error;
        }
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

/** Messages that may take the combined commit: readable, and not a forced redo. */
function batchCandidates(deliveries: Iterable<Delivery>): BatchCandidate[] {
  const candidates: BatchCandidate[] = [];
  for (const { record, force, receiveCount, read } of deliveries) {
    if ('envelope' in read && !force) candidates.push({ key: record.messageId, envelope: read.envelope, receiveCount });
  }
  return candidates;
}

function delivery(record: SQSRecord): Delivery {
  const force = record.messageAttributes?.[MESSAGE_ATTRIBUTE.forceReprocess]?.stringValue === 'true';
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 0);
  try {
    return { record, force, receiveCount, read: { envelope: readMessage(record) } };
  } catch (error) {
    return { record, force, receiveCount, read: { error } };
  }
}

/** On the last receive SQS allows, a failure sends the message to the dead-letter queue: say so, and note it in the ledger. */
async function noteIfDeadLettered(record: SQSRecord, receiveCount: number, read: Delivery['read'], error: unknown, deps: WorkerAdapterDeps): Promise<void> {
  if (receiveCount < deps.maxReceiveCount) return;
  deps.count('EventsDeadLettered');
  const context = { messageId: record.messageId, receiveCount, error: describeError(error) };
  if (!('envelope' in read)) {
    // Without a readable event there is no ledger id to note it under; the listing counts it apart.
    deps.log.error('A malformed message failed its last attempt and goes to the dead-letter queue', context);
    return;
  }
  const event = ledgerEventOf(read.envelope);
  deps.log.error('Event failed its last attempt and goes to the dead-letter queue', { ...context, eventId: event.id, eventType: event.type });
  try {
    await deps.ledger.markDeadLettered(event, receiveCount, deps.now());
  } catch (ledgerError) {
    deps.log.error('Could not note the dead letter in the ledger', { eventId: event.id, error: describeError(ledgerError) });
  }
}
