import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SCHEDULED_JOB_KEY } from '../../functions/reconcile/jobs';
import { SERVICE_NAME } from '../../functions/shared/observability';
import type { FunctionNetwork } from './function-network';
import { PipelineFunction } from './pipeline-function';
import type { StageLogs } from './stage-logs';

export interface ScheduledReconcileProps {
  readonly stage: string;
  /** The event queue the missed events go on. */
  readonly queue: IQueue;
  readonly ledger: ITable;
  readonly state: ITable;
  /** The `…/stripe/api-key` secret: a restricted key with read access to Events. */
  readonly apiKeySecret: ISecret;
  readonly intervalMinutes: number;
  readonly readsPerSecond: number;
  readonly logs: StageLogs;
  /** @default outside any VPC */
  readonly network?: FunctionNetwork;
}

/**
 * The scheduled reconcile (functions/reconcile): every `intervalMinutes`, it lists the events Stripe
 * created since its checkpoint and queues those the ledger has never seen. Its grants are exactly the
 * calls it makes: BatchGetItem on the ledger, its own checkpoint item's reads and writes, SendMessage
 * on the queue and reading the API key.
 */
export class ScheduledReconcile extends Construct {
  public readonly function: PipelineFunction;
  public readonly rule: Rule;

  constructor(scope: Construct, id: string, props: ScheduledReconcileProps) {
    super(scope, id);
    this.function = new PipelineFunction(this, 'Function', {
      name: 'reconcile',
      functionName: `${props.stage}-stripe-webhook-reconcile`,
      serviceName: SERVICE_NAME.reconcile,
      // A scan saves its place before the time runs out and the next run resumes it; 5 minutes of
      // pages at the default 10 reads a second is 300,000 events a run.
      timeout: Duration.minutes(5),
      memorySize: 512,
      logs: props.logs,
      ...(props.network ? { network: props.network } : {}),
      environment: {
        QUEUE_URL: props.queue.queueUrl,
        LEDGER_TABLE_NAME: props.ledger.tableName,
        STATE_TABLE_NAME: props.state.tableName,
        STRIPE_API_KEY_SECRET_ARN: props.apiKeySecret.secretArn,
        STRIPE_READS_PER_SECOND: String(props.readsPerSecond),
      },
    });
    const role = this.function.role;
    props.queue.grantSendMessages(role);
    role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:BatchGetItem'], resources: [props.ledger.tableArn] }));
    role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [props.state.tableArn],
        // Its own checkpoint and no other item: operators' backfills keep theirs in the same table.
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [SCHEDULED_JOB_KEY] } },
      }),
    );
    role.addToPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.apiKeySecret.secretArn] }));

    this.rule = new Rule(this, 'Schedule', {
      ruleName: `${props.stage}-stripe-webhook-reconcile`,
      description: `Reconciles Stripe's Events API with the ledger every ${props.intervalMinutes} minutes`,
      schedule: Schedule.rate(Duration.minutes(props.intervalMinutes)),
      // A missed run is not retried: the next one starts from the same checkpoint.
      targets: [new LambdaFunction(this.function.function, { retryAttempts: 0 })],
    });
  }
}
