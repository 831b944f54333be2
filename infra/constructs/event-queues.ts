import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Queue, QueueEncryption, RedrivePermission } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUEUES, resourceName } from '../../functions/shared/resources';

export interface EventQueuesProps {
  readonly stage: string;
  /** The worker's timeout; the queue's visibility timeout is 6× it, as AWS advises for Lambda consumers. */
  readonly workerTimeout: Duration;
}

/**
 * The event queue and its dead-letter queue, from the shared definitions in functions/shared/resources.ts
 * (the local stack builds the same ones). Both are encrypted at rest (SSE-SQS) and refuse requests
 * that do not use TLS. Only the event queue may send its failures to the dead-letter queue (its
 * redrive allow policy, which is also how Control Tower's CT.SQS.PR.1 recognizes a dead-letter queue).
 */
export class EventQueues extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: EventQueuesProps) {
    super(scope, id);
    const queueName = resourceName(props.stage, QUEUES.events);
    // The event queue's ARN from its name: its own ARN would make each queue depend on the other.
    const eventQueueArn = Stack.of(this).formatArn({ service: 'sqs', resource: queueName, arnFormat: ArnFormat.NO_RESOURCE_NAME });
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      queueName: resourceName(props.stage, QUEUES.deadLetters),
      retentionPeriod: Duration.seconds(QUEUES.deadLetters.retentionSeconds),
      maxMessageSizeBytes: QUEUES.deadLetters.maxMessageBytes,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      redriveAllowPolicy: { redrivePermission: RedrivePermission.BY_QUEUE, sourceQueues: [Queue.fromQueueArn(this, 'EventQueueByName', eventQueueArn)] },
      // Failed events are evidence: they outlive a stack deletion.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.queue = new Queue(this, 'Queue', {
      queueName,
      visibilityTimeout: Duration.seconds(props.workerTimeout.toSeconds() * 6),
      retentionPeriod: Duration.seconds(QUEUES.events.retentionSeconds),
      maxMessageSizeBytes: QUEUES.events.maxMessageBytes,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: QUEUES.maxReceiveCount },
    });
  }
}
