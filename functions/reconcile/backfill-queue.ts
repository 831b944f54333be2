/**
 * Queues backfilled events as the ingest queues webhooks (functions/shared/message.ts), with the
 * source `backfill`, in batches SQS takes. Resolves only when SQS has taken every message: the
 * reconcile core saves its cursor after that, so a refusal leaves the page to be done again.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describeError } from '../shared/errors';
import { messageSize, sizedBatches, snapshotMessage } from '../shared/message';
import { MAX_MESSAGE_BYTES } from '../shared/resources';
import type { ListedEvent } from './reconcile';

export function backfillQueue(sqs: SQSClient, queueUrl: string, now: () => number = Date.now) {
  return async (events: readonly ListedEvent[]): Promise<void> => {
    const receivedAt = new Date(now());
    const messages = events.map((event) => {
      const message = snapshotMessage(event, event.body, { source: 'backfill', receivedAt });
      return { event, message, size: messageSize(Buffer.byteLength(event.body), message.attributes) };
    });
    const tooLarge = messages.find(({ size }) => size > MAX_MESSAGE_BYTES);
    if (tooLarge) throw new Error(`Event ${tooLarge.event.id} is ${tooLarge.size} bytes, more than SQS takes (${MAX_MESSAGE_BYTES}); it cannot be queued`);

    for (const batch of sizedBatches(messages)) {
      let failed: { Id?: string; Code?: string; Message?: string }[];
      try {
        ({ Failed: failed = [] } = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map(({ message }, index) => ({ Id: String(index), MessageBody: message.body, MessageAttributes: message.attributes })),
          }),
        ));
      } catch (error) {
        throw new Error(`SQS did not take the backfilled events: ${describeError(error)}`, { cause: error });
      }
      if (failed.length > 0) {
        const ids = failed.map((entry) => batch[Number(entry.Id)]?.event.id).join(', ');
        throw new Error(`SQS refused ${failed.length} backfilled events (${ids}): ${failed[0]!.Code ?? ''} ${failed[0]!.Message ?? ''}`.trim());
      }
    }
  };
}
