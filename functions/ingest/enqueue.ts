import { createHash } from 'node:crypto';
import { NotQueuedError, describeError } from '../shared/errors';
import type { QueuedMessage } from '../shared/message';
import type { AwsJsonClient } from './aws-json-client';
import type { Enqueue } from './receive-webhook';

interface SendMessageOutput {
  readonly MessageId?: string;
  readonly MD5OfMessageBody?: string;
}

/**
 * An enqueue function for the ingest core. It resolves only when SQS has answered with a message id,
 * which SQS gives once the message is stored redundantly, and with the MD5 of the body we sent (the
 * check the SDK's SQS client makes); any failure becomes NotQueuedError (→ 5xx, so Stripe retries).
 *
 * `endpoint` overrides the SQS endpoint (an emulator); by default the call goes to the queue URL's host.
 */
export function sqsEnqueue(sqs: AwsJsonClient, queueUrl: string, endpoint?: string): Enqueue {
  const origin = new URL(endpoint ?? queueUrl);
  return async ({ body, attributes }: QueuedMessage) => {
    let output: SendMessageOutput;
    try {
      output = await sqs.call<SendMessageOutput>(origin, 'SendMessage', { QueueUrl: queueUrl, MessageBody: body, MessageAttributes: attributes });
    } catch (error) {
      throw new NotQueuedError(`SQS did not accept the event: ${describeError(error)}`, { cause: error });
    }
    if (!output.MessageId) throw new NotQueuedError('SQS answered without a message id');
    if (output.MD5OfMessageBody !== createHash('md5').update(body).digest('hex')) {
      throw new NotQueuedError('SQS answered with an MD5 that does not match the body sent');
    }
  };
}
