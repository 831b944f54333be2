/**
 * The production stack, checked on its synthesized CloudFormation: the properties that matter, not a
 * snapshot. cdk-nag's AwsSolutions pack runs at synth; the stack must pass it.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEAD_LETTER_INDEX, LEDGER_TABLE, PROJECTIONS_TABLE, QUEUES, STATE_TABLE, resourceName } from '../../../functions/shared/resources';
import { SCHEDULED_JOB_KEY } from '../../../functions/reconcile/jobs';
import { createApp } from '../../../infra/app';
import type { WebhookStack } from '../../../infra/webhook-stack';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

describe('WebhookStack', () => {
  let stack: WebhookStack;
  let template: Template;

  beforeAll(() => {
    const app = new App({ context: { stage: 'prod', alarmEmail: 'ops@example.com' } });
    ({ stack } = createApp(app));
    // Throws if any AwsSolutions rule fails without a written acknowledgement.
    app.synth();
    template = Template.fromStack(stack);
  }, 120_000);

  const ref = (construct: { node: { defaultChild?: unknown } }) => stack.resolve((construct.node.defaultChild as { ref: string }).ref);
  const arnOf = (construct: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [stack.getLogicalId(construct.node.defaultChild as never), 'Arn'] });
  const statementsOf = (role: Role): Statement[] => {
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as never) }] } });
    return Object.values(policies).flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
  };
  const actions = (statement: Statement) => [statement.Action].flat().sort();

  describe('queues', () => {
    it('dead-letters an event after maxReceiveCount 5, and keeps dead letters 14 days', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: resourceName('prod', QUEUES.events),
        RedrivePolicy: { deadLetterTargetArn: arnOf(stack.queues.deadLetterQueue), maxReceiveCount: QUEUES.maxReceiveCount },
      });
      expect(QUEUES.maxReceiveCount).toBe(5);
      template.hasResourceProperties('AWS::SQS::Queue', { QueueName: resourceName('prod', QUEUES.deadLetters), MessageRetentionPeriod: 14 * 24 * 3600 });
    });

    it('sets the visibility timeout to 6× the worker timeout', () => {
      const timeout = template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'prod-stripe-webhook-worker' } });
      const workerTimeout = (Object.values(timeout)[0] as { Properties: { Timeout: number } }).Properties.Timeout;
      template.hasResourceProperties('AWS::SQS::Queue', { QueueName: resourceName('prod', QUEUES.events), VisibilityTimeout: workerTimeout * 6 });
    });

    it('encrypts both queues and refuses requests without TLS', () => {
      template.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true }, 2);
      template.resourcePropertiesCountIs(
        'AWS::SQS::QueuePolicy',
        { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) } },
        2,
      );
    });
  });

  describe('worker event source', () => {
    it('reports batch item failures, batches, and caps concurrency', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(stack.queues.queue),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 1,
        ScalingConfig: { MaximumConcurrency: 20 },
      });
    });
  });

  describe('tables', () => {
    it.each([LEDGER_TABLE, PROJECTIONS_TABLE, STATE_TABLE])('$name: on demand, point-in-time recovery, KMS encryption, retained', (definition) => {
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          TableName: resourceName('prod', definition),
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
        }),
      });
    });

    it('expires ledger items through TTL', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: resourceName('prod', LEDGER_TABLE),
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    });

    it('indexes the ledger\'s dead letters, failures, hours and objects, so that no listing scans it', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: resourceName('prod', LEDGER_TABLE),
        GlobalSecondaryIndexes: [
          {
            IndexName: DEAD_LETTER_INDEX.name,
            KeySchema: [
              { AttributeName: 'deadLetterShard', KeyType: 'HASH' },
              { AttributeName: 'deadLetteredAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'received-by-hour',
            KeySchema: [
              { AttributeName: 'receivedHour', KeyType: 'HASH' },
              { AttributeName: 'receivedAt', KeyType: 'RANGE' },
            ],
            // Only what never changes: one index write per event.
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['type'] },
          },
          {
            IndexName: 'failed-events',
            KeySchema: [
              { AttributeName: 'failedShard', KeyType: 'HASH' },
              { AttributeName: 'receivedAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'by-object',
            KeySchema: [
              { AttributeName: 'objectId', KeyType: 'HASH' },
              { AttributeName: 'receivedAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      });
    });

    it('deploys the first ledgerIndexes of them, for a stage that must gain one index per deploy', () => {
      const app = new App({ context: { stage: 'upgrade', ledgerIndexes: '2' } });
      const { stack: upgrading } = createApp(app);
      const [ledger] = Object.values(Template.fromStack(upgrading).findResources('AWS::DynamoDB::Table', { Properties: { TableName: resourceName('upgrade', LEDGER_TABLE) } }));
      const indexes = (ledger as { Properties: { GlobalSecondaryIndexes: { IndexName: string }[] } }).Properties.GlobalSecondaryIndexes;
      expect(indexes.map((index) => index.IndexName)).toEqual([DEAD_LETTER_INDEX.name, 'received-by-hour']);
    }, 120_000);
  });

  describe('functions', () => {
    it('run on arm64 and the newest Node.js runtime, without runtime source maps (they add to every cold start)', () => {
      template.resourcePropertiesCountIs(
        'AWS::Lambda::Function',
        { Runtime: 'nodejs24.x', Architectures: ['arm64'], Environment: { Variables: Match.objectLike({ NODE_OPTIONS: Match.absent() }) } },
        3,
      );
    });

    it('give the worker a lease that outlives its timeout, and tell it the timeout', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: 'prod-stripe-webhook-worker',
        Timeout: 30,
        Environment: { Variables: Match.objectLike({ LEASE_SECONDS: '60', WORKER_TIMEOUT_SECONDS: '30' }) },
      });
    });

    it('give the worker the Stripe API key secret by reference and the read rate, and accept every event by default', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: 'prod-stripe-webhook-worker',
        Environment: {
          Variables: Match.objectLike({
            STRIPE_API_KEY_SECRET_ARN: ref(stack.apiKeySecret),
            STRIPE_READS_PER_SECOND: '10',
            STRIPE_LIVEMODE: Match.absent(),
            STRIPE_ACCOUNTS: Match.absent(),
          }),
        },
      });
    });

    it('pass livemode and accounts from context to the worker', () => {
      const app = new App({ context: { stage: 'accept', livemode: 'false', accounts: ' platform, acct_1ABC ' } });
      const { stack: other } = createApp(app);
      Template.fromStack(other).hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: 'accept-stripe-webhook-worker',
        Environment: { Variables: Match.objectLike({ STRIPE_LIVEMODE: 'false', STRIPE_ACCOUNTS: 'platform,acct_1ABC' }) },
      });
    }, 120_000);

    it('give the ingest its queue and secret by reference, never a secret value', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: 'prod-stripe-webhook-ingest',
        Environment: { Variables: Match.objectLike({ QUEUE_URL: ref(stack.queues.queue), STRIPE_WEBHOOK_SECRET_ARN: ref(stack.signingSecret) }) },
      });
      expect(JSON.stringify(template.toJSON())).not.toMatch(/whsec_[A-Za-z0-9]{6,}/);
    });
  });

  describe('least-privilege grants', () => {
    it('ingest: send to the queue and read its secret, nothing else', () => {
      const statements = statementsOf(stack.ingest.role);
      expect(statements.map((statement) => [actions(statement), statement.Resource])).toEqual(
        expect.arrayContaining([
          [['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], arnOf(stack.queues.queue)],
          [['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], ref(stack.signingSecret)],
        ]),
      );
      expect(statements).toHaveLength(3);
      expect(statements.flatMap(actions).filter((action) => !/^(sqs|secretsmanager):|^logs:(CreateLogStream|PutLogEvents)$/.test(action))).toEqual([]);
    });

    it('worker: consume the queue, read and update its ledger item, write projections, read the API key; nothing else', () => {
      const statements = statementsOf(stack.worker.role);
      expect(statements.map((statement) => [actions(statement), statement.Resource])).toEqual(
        expect.arrayContaining([
          [['dynamodb:GetItem', 'dynamodb:UpdateItem'], arnOf(stack.tables.ledger)],
          [['dynamodb:PutItem', 'dynamodb:UpdateItem'], arnOf(stack.tables.projections)],
          [['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'], arnOf(stack.queues.queue)],
          [['secretsmanager:GetSecretValue'], ref(stack.apiKeySecret)],
        ]),
      );
      expect(statements).toHaveLength(5);
      // The API key and no other secret: not the signing secrets, which only the ingest reads.
      const secretStatements = statements.filter((statement) => actions(statement).some((action) => action.startsWith('secretsmanager:')));
      expect(secretStatements).toEqual([expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: ref(stack.apiKeySecret) })]);
      // Reads of the ledger are single items, never queries or scans of other events.
      expect(statements.flatMap(actions).filter((action) => /^dynamodb:(Query|Scan|BatchGetItem)$/.test(action))).toEqual([]);
    });

    it('reconcile: read ledger keys, its own checkpoint item, the API key, and send to the queue; nothing else', () => {
      const statements = statementsOf(stack.reconcile.function.role);
      expect(statements.map((statement) => [actions(statement), statement.Resource])).toEqual(
        expect.arrayContaining([
          [['dynamodb:BatchGetItem'], arnOf(stack.tables.ledger)],
          [['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'], arnOf(stack.tables.state)],
          [['secretsmanager:GetSecretValue'], ref(stack.apiKeySecret)],
          [['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], arnOf(stack.queues.queue)],
        ]),
      );
      expect(statements).toHaveLength(5);
      const checkpoint = statements.find((statement) => actions(statement).includes('dynamodb:PutItem')) as Statement & { Condition?: unknown };
      expect(checkpoint.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [SCHEDULED_JOB_KEY] } });
    });

    it('grants no action on every resource', () => {
      const all = [...statementsOf(stack.ingest.role), ...statementsOf(stack.worker.role), ...statementsOf(stack.reconcile.function.role)];
      expect(all.filter((statement) => statement.Resource === '*')).toEqual([]);
      expect(all.flatMap(actions).filter((action) => action.endsWith('*'))).toEqual([]);
    });

    it('lets each function write only to its own log group', () => {
      const logStatements = statementsOf(stack.ingest.role).filter((statement) => actions(statement).includes('logs:PutLogEvents'));
      expect(logStatements).toEqual([
        expect.objectContaining({ Resource: { 'Fn::Join': ['', [arnOf(stack.ingest.logGroup), ':*']] } }),
      ]);
    });
  });

  describe('observability', () => {
    it('has nine alarms, each notifying the encrypted alarm topic on alarm and on recovery', () => {
      const topic = ref(stack.alarms.topic);
      template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmActions: [topic], OKActions: [topic] }, 9);
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    });

    it("lets CloudWatch use the topic's key only for this stage's alarms", () => {
      const keys = template.findResources('AWS::KMS::Key');
      const statements = Object.values(keys).flatMap((key) => (key as { Properties: { KeyPolicy: { Statement: Statement[] } } }).Properties.KeyPolicy.Statement);
      const cloudWatch = statements.filter((statement) => JSON.stringify(statement).includes('cloudwatch.amazonaws.com'));
      expect(cloudWatch).toHaveLength(1);
      expect(cloudWatch[0]).toMatchObject({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: {
          StringEquals: { 'aws:SourceAccount': expect.anything() },
          ArnLike: { 'aws:SourceArn': expect.anything() },
        },
      });
      expect(JSON.stringify(cloudWatch[0])).toContain(':alarm:prod-stripe-webhooks-*');
      template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmName: Match.stringLikeRegexp('^prod-stripe-webhooks-') }, 9);
    });

    it('alarms as soon as one event is in the DLQ', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [stack.getLogicalId(stack.queues.deadLetterQueue.node.defaultChild as never), 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it('alarms on the age of the oldest event, ingest 5xx, signature failures and worker errors', () => {
      for (const metric of ['ApproximateAgeOfOldestMessage', '5xx', 'Errors']) template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metric });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'StripeWebhooks',
        MetricName: 'SignatureFailures',
        Dimensions: [{ Name: 'service', Value: 'stripe-webhook-ingest' }],
      });
    });

    it('alarms when the reconcile queues any event (webhooks missed it), fails twice, or falls behind', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'prod-stripe-webhooks-EventsMissed',
        Namespace: 'StripeWebhooks',
        MetricName: 'ReconcileEventsEnqueued',
        Dimensions: [{ Name: 'service', Value: 'stripe-webhook-reconcile' }],
        Statistic: 'Sum',
        Period: 900,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'prod-stripe-webhooks-ReconcileErrors', MetricName: 'Errors', EvaluationPeriods: 2 });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'prod-stripe-webhooks-ReconcileBehind', MetricName: 'ReconcileLagSeconds', Threshold: 600 + 3 * 900 });
    });

    it('has a dashboard', () => {
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    });
  });

  describe('without eventBridgeSource', () => {
    it('has no partner event bus, no rule but the reconcile schedule, and no EventBridge alarm or outputs', () => {
      template.resourceCountIs('AWS::Events::EventBus', 0);
      template.resourceCountIs('AWS::Events::Rule', 1);
      template.hasResourceProperties('AWS::Events::Rule', { Name: 'prod-stripe-webhook-reconcile', ScheduleExpression: Match.anyValue() });
      template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Events' }, 0);
      const outputs = Object.keys(template.findOutputs('*'));
      expect(outputs).not.toContain('EventBusName');
      expect(outputs).not.toContain('EventRuleName');
    });

    it('lets no AWS service send to either queue', () => {
      expect(JSON.stringify(template.findResources('AWS::SQS::QueuePolicy'))).not.toContain('events.amazonaws.com');
    });
  });

  describe('scheduled reconcile', () => {
    it('runs every 15 minutes by default, without retries (the next run resumes)', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(15 minutes)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: arnOf(stack.reconcile.function.function), RetryPolicy: { MaximumRetryAttempts: 0 } })],
      });
    });

    it('reads its API key from the stage secret by reference and reads at the configured rate', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: 'prod-stripe-webhook-reconcile',
        Timeout: 300,
        Environment: {
          Variables: Match.objectLike({
            QUEUE_URL: ref(stack.queues.queue),
            STATE_TABLE_NAME: ref(stack.tables.state),
            STRIPE_API_KEY_SECRET_ARN: ref(stack.apiKeySecret),
            STRIPE_READS_PER_SECOND: '10',
          }),
        },
      });
    });

    it('takes its interval and read rate from context', () => {
      const app = new App({ context: { stage: 'ctx', reconcileIntervalMinutes: 5, stripeReadsPerSecond: 20 } });
      const { stack: other } = createApp(app);
      const otherTemplate = Template.fromStack(other);
      otherTemplate.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
      otherTemplate.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'ctx-stripe-webhook-reconcile', Environment: { Variables: Match.objectLike({ STRIPE_READS_PER_SECOND: '20' }) } });
    });
  });

  describe('API', () => {
    it('routes /webhook to the ingest, throttled, with access logs', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /webhook' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      });
    });

    it('outputs the webhook URL, resource names and a redrive command', () => {
      const outputs = template.findOutputs('*');
      expect(Object.keys(outputs)).toEqual(
        expect.arrayContaining([
          'WebhookUrl', 'QueueName', 'DeadLetterQueueName', 'LedgerTableName', 'ProjectionsTableName', 'StateTableName',
          'WebhookSecretName', 'StripeApiKeySecretName', 'RedriveCommand', 'RegisterEndpointCommand', 'BackfillCommand', 'EventsCommand', 'ConsoleCommand',
        ]),
      );
      expect(JSON.stringify(outputs.RegisterEndpointCommand)).toContain('npm run stripe:endpoint -- --stage prod');
      expect(JSON.stringify(outputs.BackfillCommand)).toContain('npm run backfill -- --stage prod');
      expect(JSON.stringify(outputs.WebhookUrl)).toContain('/webhook');
      expect(JSON.stringify(outputs.RedriveCommand)).toContain('npm run redrive -- --stage prod');
      expect(JSON.stringify(outputs.EventsCommand)).toContain('npm run events -- --stage prod');
      expect(JSON.stringify(outputs.ConsoleCommand)).toContain('npm run console -- --stage prod');
    });
  });
});

describe('cdk-nag', () => {
  it('fails synth on a violation that has no written acknowledgement', () => {
    const app = new App();
    const stack = new Stack(app, 'Violating');
    new Queue(stack, 'PlainQueue');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
