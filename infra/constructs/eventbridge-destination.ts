import { Duration } from 'aws-cdk-lib';
import { EventBus, Match, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The prefix of every partner event source Stripe creates; the worker reads only events from one. */
export const STRIPE_PARTNER_SOURCE_PREFIX = 'aws.partner/stripe.com/';

/**
 * EventBridge keeps trying to put an event on the queue for the longest it allows: a queue that refuses
 * (a broken policy, SQS throttling) usually recovers within a day, and what does not goes to the
 * dead-letter queue rather than being dropped.
 */
export const TARGET_RETRY_ATTEMPTS = 185;
export const TARGET_MAX_EVENT_AGE = Duration.hours(24);

export interface EventBridgeDestinationProps {
  readonly stage: string;
  /** The partner event source Stripe created, `aws.partner/stripe.com/ed_…`; the bus takes its name. */
  readonly eventSourceName: string;
  /** The event queue: the worker reads an EventBridge event's body as well as the ingest's messages. */
  readonly queue: IQueue;
  /** Where EventBridge puts what it could not deliver: the pipeline's own DLQ, so one redrive serves both. */
  readonly deadLetterQueue: IQueue;
}

/**
 * Stripe events by Amazon EventBridge instead of (or beside) the webhook: the partner event bus that
 * receives Stripe's partner event source, and a rule that puts every Stripe event, unchanged, on the
 * event queue. AWS delivers these events, so there is no signature to check and no ingest to run; the
 * worker treats them like any other message, and its ledger makes an event delivered both ways run once.
 *
 * The SqsQueue target adds the queue policy statements: events.amazonaws.com may send to the event queue,
 * and to the dead-letter queue, only on behalf of this rule (aws:SourceArn). The queues use SQS-managed
 * keys (SSE-SQS), which EventBridge can send to without any KMS grant.
 */
export class EventBridgeDestination extends Construct {
  public readonly bus: EventBus;
  public readonly rule: Rule;
  /** Literal names, not tokens: the alarm's metric dimensions and the outputs need the names themselves. */
  public readonly busName: string;
  public readonly ruleName: string;

  constructor(scope: Construct, id: string, props: EventBridgeDestinationProps) {
    super(scope, id);
    // A partner event bus must be named after its source; CDK names it so from eventSourceName (and
    // refuses an explicit eventBusName beside it). Creating the bus is what associates the source, so
    // it fails before the event destination exists in Stripe, and if the source was already associated
    // by hand in the EventBridge console (a bus of that name exists).
    this.bus = new EventBus(this, 'Bus', { eventSourceName: props.eventSourceName });
    this.busName = props.eventSourceName;
    this.ruleName = `${props.stage}-stripe-eventbridge-to-queue`;
    this.rule = new Rule(this, 'Rule', {
      ruleName: this.ruleName,
      description: 'Puts every Stripe event from the partner event source on the event queue, whole (the worker reads the EventBridge envelope)',
      eventBus: this.bus,
      eventPattern: { source: Match.prefix(STRIPE_PARTNER_SOURCE_PREFIX) },
      targets: [
        new SqsQueue(props.queue, {
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: TARGET_RETRY_ATTEMPTS,
          maxEventAge: TARGET_MAX_EVENT_AGE,
        }),
      ],
    });
  }
}
