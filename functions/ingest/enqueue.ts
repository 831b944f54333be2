import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { NotQueuedError, describeError } from '../shared/errors';
import type { QueuedMessage } from '../shared/message';
import type { Enqueue } from './receive-webhook';

/**
 * An enqueue function for the ingest core. It resolves only when SQS has answered with a message id,
 * which SQS gives once the message is stored redundantly; any failure becomes NotQueuedError (→ 5xx).
 */
export function sqsEnqueue(sqs: SQSClient, queueUrl: string): Enqueue {
  return async ({ body, attributes }: QueuedMessage) => {
    let messageId: string | undefined;
    try {
      ({ MessageId: messageId } = await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: attributes }),
      ));
    } catch (error) {
      throw new NotQueuedError(`SQS did not accept the event: ${describeError(error)}`, { cause: error });
    }
    if (!messageId) throw new NotQueuedError('SQS answered without a message id');
  };
}
