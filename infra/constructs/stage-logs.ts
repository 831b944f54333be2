import { Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeControl } from '../control-tower';
import { pipelineKey } from './pipeline-key';

/** The retention Control Tower's CT.CLOUDWATCH.PR.2 asks for. */
export const CONTROL_TOWER_LOG_RETENTION_DAYS = 365;

export interface StageLogsProps {
  readonly stage: string;
  /** How long every log group keeps its logs: logRetentionDays. */
  readonly retentionDays: number;
}

/**
 * The stage's log groups: every one encrypted with the stage's own KMS key (Control Tower's
 * CT.CLOUDWATCH.PR.3; the logs hold event ids, customers' object ids and error messages), and kept
 * `retentionDays`. The key may be used by CloudWatch Logs only for these log groups, named in its
 * policy: a log group elsewhere in the account cannot be pointed at it.
 */
export class StageLogs extends Construct {
  public readonly key: Key;
  private readonly retentionDays: number;
  private readonly stage: string;
  private readonly groupArns: string[] = [];

  constructor(scope: Construct, id: string, props: StageLogsProps) {
    super(scope, id);
    this.stage = props.stage;
    this.retentionDays = props.retentionDays;
    this.key = pipelineKey(this, 'Key', `Encrypts the log groups of the ${props.stage} Stripe webhook pipeline`);
    const { region } = Stack.of(this);
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchLogsForThisStage',
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        principals: [new ServicePrincipal(`logs.${region}.amazonaws.com`)],
        resources: ['*'],
        // Filled as log groups are added. The names, not the log groups' ARNs: those would make each
        // log group depend on the key and the key on it.
        conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': Lazy.list({ produce: () => this.groupArns }) } },
      }),
    );
  }

  /**
   * A log group named `name`, encrypted with the stage's key and kept `retentionDays`. Deleted with
   * the stack: what it holds is operational, and the ledger keeps each event's record.
   */
  group(scope: Construct, id: string, name: string): LogGroup {
    const { partition, region, account } = Stack.of(this);
    this.groupArns.push(`arn:${partition}:logs:${region}:${account}:log-group:${name}`);
    const group = new LogGroup(scope, id, {
      logGroupName: name,
      retention: this.retentionDays as RetentionDays,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    if (this.retentionDays < CONTROL_TOWER_LOG_RETENTION_DAYS) {
      acknowledgeControl(
        group,
        'CT.CLOUDWATCH.PR.2',
        `stage ${this.stage} keeps logs ${this.retentionDays} days (logRetentionDays; 365 by default for prod), which costs less where the control is not enforced. Where it is, deploy with -c logRetentionDays=365.`,
      );
    }
    return group;
  }
}
