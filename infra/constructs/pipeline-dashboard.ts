import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { AlarmStatusWidget, Dashboard, GraphWidget, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RECONCILE_METRIC } from '../../functions/shared/observability';
import { pipelineMetric } from './pipeline-alarms';

export interface PipelineDashboardProps {
  readonly stage: string;
  readonly api: HttpApi;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly ingest: IFunction;
  readonly worker: IFunction;
  readonly reconcile: IFunction;
  readonly ledger: ITable;
  readonly alarms: readonly Alarm[];
}

/** The pipeline at a glance, left to right as an event travels: webhook → queue → worker → DynamoDB. */
export class PipelineDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    const sum = { period: minute, statistic: 'Sum' };
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${props.stage}-stripe-webhooks` });
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 3 }));
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Webhook requests',
        left: [props.api.metricCount(sum), props.api.metricClientError(sum), props.api.metricServerError(sum)],
        width: 8,
      }),
      new GraphWidget({
        title: 'Ingest outcomes',
        // SQS's own count of what reached the queue (webhooks, and the reconcile's and redrives' sends).
        left: [props.queue.metricNumberOfMessagesSent({ ...sum, label: 'Messages queued' }), pipelineMetric('ingest', 'SignatureFailures', minute), pipelineMetric('ingest', 'EnqueueFailures', minute)],
        width: 8,
      }),
      new GraphWidget({
        title: 'Webhook latency (ms)',
        left: [props.api.metricLatency({ period: minute, statistic: 'p50' }), props.api.metricLatency({ period: minute, statistic: 'p99' })],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Queue',
        left: [props.queue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }), props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' })],
        right: [props.queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'Worker outcomes',
        left: ['EventsCompleted', 'EventsIgnored', 'DuplicatesSkipped', 'StaleWritesSkipped', 'EventsFailed', 'EventsRefused'].map((name) => pipelineMetric('worker', name, minute)),
        width: 8,
      }),
      new GraphWidget({
        title: 'Functions',
        left: [props.ingest.metricDuration({ period: minute, statistic: 'p99' }), props.worker.metricDuration({ period: minute, statistic: 'p99' })],
        right: [props.ingest.metricErrors(sum), props.worker.metricErrors(sum), props.worker.metricThrottles(sum)],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Ledger table',
        left: [props.ledger.metricConsumedWriteCapacityUnits(sum), props.ledger.metricConsumedReadCapacityUnits(sum)],
        right: [props.ledger.metricThrottledRequestsForOperations({ period: minute })],
        width: 12,
      }),
      new GraphWidget({
        title: 'Reconcile with the Events API (queued = missed by webhooks)',
        left: [RECONCILE_METRIC.scanned, RECONCILE_METRIC.known, RECONCILE_METRIC.enqueued].map((name) => pipelineMetric('reconcile', name, Duration.minutes(15))),
        right: [props.reconcile.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' })],
        width: 12,
      }),
    );
  }
}
