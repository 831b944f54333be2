import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_SETTLE_SECONDS } from '../../functions/shared/config';
import { METRICS_NAMESPACE, RECONCILE_METRIC, SERVICE_NAME } from '../../functions/shared/observability';
import { pipelineKey } from './pipeline-key';

export interface PipelineAlarmsProps {
  readonly stage: string;
  readonly api: HttpApi;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly worker: IFunction;
  /** @default no e-mail subscription */
  readonly alarmEmail?: string;
  readonly oldestMessageAlarmSeconds: number;
  readonly signatureFailureAlarmThreshold: number;
  /** The scheduled reconcile and how often it runs. */
  readonly reconcile: { readonly function: IFunction; readonly intervalMinutes: number };
  /** The partner event bus and the rule that puts its events on the queue. @default no EventBridge destination */
  readonly eventBridge?: { readonly busName: string; readonly ruleName: string };
}

/** An alarm's name, e.g. `prod-stripe-webhooks-DeadLetters`; the key policy trusts the stage's pattern of it. */
function alarmName(stage: string, id: string): string {
  return `${stage}-stripe-webhooks-${id}`;
}

/** A pipeline metric the functions publish through Powertools (EMF), by service. */
export function pipelineMetric(service: keyof typeof SERVICE_NAME, metricName: string, period = Duration.minutes(5)): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME[service] }, statistic: 'Sum', period });
}

/**
 * Alarms that fire before customers notice: an event in the DLQ, events waiting too long, the ingest
 * answering 5xx (Stripe is retrying), a spike of signature failures (a wrong secret or an attack), and
 * a failing worker; and from the scheduled reconcile, events that no webhook delivered, a reconcile
 * that fails or falls behind; and with an EventBridge destination, Stripe events EventBridge could
 * not put on the queue. All notify one SNS topic, encrypted with a key CloudWatch may use.
 */
export class PipelineAlarms extends Construct {
  public readonly topic: Topic;
  public readonly alarms: Alarm[] = [];
  private readonly stage: string;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    this.stage = props.stage;
    const key = pipelineKey(this, 'TopicKey', 'Encrypts the pipeline alarm topic');
    const { account, region, partition } = Stack.of(this);
    // CloudWatch publishes to encrypted topics only with a customer managed key it may use: only for
    // this stage's alarms. In a key policy, resource "*" means this key and no other.
    key.addToResourcePolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:${alarmName(props.stage, '*')}` },
        },
      }),
    );
    this.topic = new Topic(this, 'Topic', { topicName: `${props.stage}-stripe-webhook-alarms`, masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const minute = Duration.minutes(1);
    this.alarm('DeadLetters', 'An event failed every retry and is in the dead-letter queue: inspect it, fix the cause, then redrive', {
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
      threshold: 1,
    });
    this.alarm('OldestEvent', `An event has waited over ${props.oldestMessageAlarmSeconds} s in the queue: the worker is failing, throttled or too slow`, {
      metric: props.queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' }),
      threshold: props.oldestMessageAlarmSeconds,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.alarm('Ingest5xx', 'The webhook answers 5xx: events are not being queued and Stripe is retrying', {
      metric: props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
    });
    this.alarm('SignatureFailures', 'Many webhook signatures fail: a rotated or wrong signing secret, or someone probing the endpoint', {
      metric: pipelineMetric('ingest', 'SignatureFailures'),
      threshold: props.signatureFailureAlarmThreshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.alarm('WorkerErrors', 'The worker function itself fails (crash, timeout or out of memory)', {
      metric: props.worker.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
    });
    this.alarm('EventsFailing', 'Business actions are failing: events are being retried and may reach the DLQ', {
      metric: pipelineMetric('worker', 'EventsFailed'),
      threshold: 10,
    });

    const interval = Duration.minutes(props.reconcile.intervalMinutes);
    this.alarm(
      'EventsMissed',
      'The reconcile found events that no webhook delivered, and queued them (the worker does them once). Deliveries are missing events: check the signing secret and the endpoint (npm run stripe:endpoint -- --dry-run), and the reconcile log for the event ids',
      { metric: pipelineMetric('reconcile', RECONCILE_METRIC.enqueued, interval), threshold: 1 },
    );
    this.alarm('ReconcileErrors', 'The scheduled reconcile failed twice running (its log says why: often the Stripe API key secret is empty or refused): missed webhooks are not being caught', {
      metric: props.reconcile.function.metricErrors({ period: interval, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 2,
    });
    const lagThreshold = DEFAULT_SETTLE_SECONDS + 3 * interval.toSeconds();
    this.alarm('ReconcileBehind', `The reconcile's checkpoint is over ${lagThreshold} s behind: it cannot keep up (raise stripeReadsPerSecond) or keeps stopping`, {
      metric: new Metric({ namespace: METRICS_NAMESPACE, metricName: RECONCILE_METRIC.lagSeconds, dimensionsMap: { service: SERVICE_NAME.reconcile }, statistic: 'Maximum', period: interval }),
      threshold: lagThreshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    if (props.eventBridge) this.eventBridgeAlarm(props.eventBridge);
  }

  /**
   * EventBridge failing to put Stripe's events on the queue. A rule on a partner (non-default) bus
   * publishes its metrics with both EventBusName and RuleName, and only when they are not zero; an
   * alarm on RuleName alone would watch a metric that never exists.
   */
  private eventBridgeAlarm({ busName, ruleName }: { readonly busName: string; readonly ruleName: string }): void {
    const period = Duration.minutes(5);
    const ruleMetric = (metricName: string) =>
      new Metric({ namespace: 'AWS/Events', metricName, dimensionsMap: { EventBusName: busName, RuleName: ruleName }, statistic: 'Sum', period });
    this.alarm(
      'EventBridgeDeliveries',
      'EventBridge could not put Stripe events on the event queue (check the queue policy and SQS). Those it dead-lettered are in the dead-letter queue: redrive them once fixed. Those it could not dead-letter are lost to EventBridge: the reconcile queues snapshot events from the Events API',
      {
        metric: new MathExpression({
          // Missing points are zeros: EventBridge publishes these metrics only when they are not zero.
          expression: 'FILL(failed, 0) + FILL(deadLettered, 0) + FILL(notDeadLettered, 0)',
          usingMetrics: {
            failed: ruleMetric('FailedInvocations'),
            deadLettered: ruleMetric('InvocationsSentToDlq'),
            notDeadLettered: ruleMetric('InvocationsFailedToBeSentToDlq'),
          },
          label: 'Failed deliveries to the event queue',
          period,
        }),
        threshold: 1,
      },
    );
  }

  private alarm(id: string, description: string, options: { metric: IMetric; threshold: number; comparisonOperator?: ComparisonOperator; evaluationPeriods?: number }): void {
    const alarm = new Alarm(this, id, {
      alarmName: alarmName(this.stage, id),
      alarmDescription: description,
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: options.comparisonOperator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
