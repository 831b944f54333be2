/**
 * The production stack: API Gateway → ingest → SQS (+ DLQ) → worker → DynamoDB, with secrets,
 * least-privilege grants, alarms and a dashboard. `npx cdk deploy` prints WebhookUrl, the address to
 * register in Stripe.
 */
import { CfnOutput, Duration, Stack, Token, Validations, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DEFAULT_SECRET_REFRESH_SECONDS } from '../functions/shared/config';
import { SERVICE_NAME } from '../functions/shared/observability';
import { SECRETS, secretName } from '../functions/shared/resources';
import type { PipelineConfig } from './config';
import { acknowledgeControl } from './control-tower';
import { EventBridgeDestination } from './constructs/eventbridge-destination';
import { EventQueues } from './constructs/event-queues';
import { FunctionNetwork } from './constructs/function-network';
import { PipelineAlarms } from './constructs/pipeline-alarms';
import { PipelineDashboard } from './constructs/pipeline-dashboard';
import { PipelineFunction } from './constructs/pipeline-function';
import { PipelineTables } from './constructs/pipeline-tables';
import { ScheduledReconcile } from './constructs/scheduled-reconcile';
import { StageLogs } from './constructs/stage-logs';

export interface WebhookStackProps extends StackProps {
  readonly config: PipelineConfig;
}

export class WebhookStack extends Stack {
  public readonly api: HttpApi;
  public readonly queues: EventQueues;
  public readonly tables: PipelineTables;
  public readonly ingest: PipelineFunction;
  public readonly worker: PipelineFunction;
  public readonly signingSecret: Secret;
  public readonly apiKeySecret: Secret;
  public readonly alarms: PipelineAlarms;
  public readonly reconcile: ScheduledReconcile;
  /** Present when `eventBridgeSource` is configured. */
  public readonly eventBridge?: EventBridgeDestination;
  public readonly logs: StageLogs;
  /** Present when `vpcId` is configured. */
  public readonly network?: FunctionNetwork;

  constructor(scope: Construct, id: string, props: WebhookStackProps) {
    super(scope, id, props);
    const { config } = props;
    const stage = config.stage;
    const workerTimeout = Duration.seconds(config.workerTimeoutSeconds);

    this.queues = new EventQueues(this, 'Queues', { stage, workerTimeout });
    this.tables = new PipelineTables(this, 'Tables', { stage, ledgerIndexes: config.ledgerIndexes });
    this.logs = new StageLogs(this, 'Logs', { stage, retentionDays: config.logRetentionDays });
    if (config.network) this.network = new FunctionNetwork(this, 'Network', { stage, config: config.network });
    const placement = { logs: this.logs, ...(this.network ? { network: this.network } : {}) };

    this.signingSecret = new Secret(this, 'WebhookSigningSecret', {
      secretName: secretName(stage, SECRETS.signingSecrets),
      description: 'Stripe webhook signing secrets (whsec_…), comma-separated; put both while Stripe rolls one',
    });
    this.apiKeySecret = new Secret(this, 'StripeApiKey', {
      secretName: secretName(stage, SECRETS.apiKey),
      description: 'Stripe restricted API key (rk_…): Events read for the reconcile and the ops tools; Webhook Endpoints write for npm run stripe:endpoint',
    });
    for (const secret of [this.signingSecret, this.apiKeySecret]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: 'Stripe issues these secrets; they are rolled in the Stripe Dashboard, not by a rotation Lambda. The ingest refetches the signing secrets every few minutes, so a roll needs no redeploy.',
      });
    }

    this.ingest = new PipelineFunction(this, 'Ingest', {
      name: 'ingest',
      functionName: `${stage}-stripe-webhook-ingest`,
      serviceName: SERVICE_NAME.ingest,
      timeout: Duration.seconds(config.ingestTimeoutSeconds),
      // More memory is more CPU (512 MB is about 0.3 vCPU). Warm, the ingest needs about 0.1 ms of CPU
      // per event beside a ~10 ms wait for SQS, so less would barely save; its cold start (about 50–100
      // ms of bundle load on a full core, BENCHMARKS.md) scales with CPU, so less would lengthen the
      // first delivery's answer.
      memorySize: 512,
      ...placement,
      environment: {
        QUEUE_URL: this.queues.queue.queueUrl,
        STRIPE_WEBHOOK_SECRET_ARN: this.signingSecret.secretArn,
        WEBHOOK_SECRET_REFRESH_SECONDS: String(DEFAULT_SECRET_REFRESH_SECONDS),
      },
    });
    this.queues.queue.grantSendMessages(this.ingest.role);
    this.signingSecret.grantRead(this.ingest.role);

    this.worker = new PipelineFunction(this, 'Worker', {
      name: 'worker',
      functionName: `${stage}-stripe-webhook-worker`,
      serviceName: SERVICE_NAME.worker,
      timeout: workerTimeout,
      memorySize: 512,
      ...placement,
      environment: {
        LEDGER_TABLE_NAME: this.tables.ledger.tableName,
        PROJECTIONS_TABLE_NAME: this.tables.projections.tableName,
        // A lease outlives the invocation that took it, so a live worker is never overtaken; the worker
        // refuses to start with a lease shorter than its timeout.
        LEASE_SECONDS: String(config.workerTimeoutSeconds * 2),
        WORKER_TIMEOUT_SECONDS: String(config.workerTimeoutSeconds),
        // Thin notifications name an event the worker fetches, and handlers may ask for current objects.
        STRIPE_API_KEY_SECRET_ARN: this.apiKeySecret.secretArn,
        STRIPE_READS_PER_SECOND: String(config.stripeReadsPerSecond),
        ...acceptanceEnvironment(config),
      },
    });
    // Exactly the operations the ledger issues: a consistent read before a Stripe API read (an event
    // already done costs no read), conditional updates, and puts for accounting entries.
    this.worker.role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [this.tables.ledger.tableArn] }));
    this.worker.role.addToPolicy(
      new PolicyStatement({ actions: ['dynamodb:UpdateItem', 'dynamodb:PutItem'], resources: [this.tables.projections.tableArn] }),
    );
    // GetSecretValue only: the worker never describes or lists secrets.
    this.worker.role.addToPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.apiKeySecret.secretArn] }));
    this.worker.function.addEventSource(
      new SqsEventSource(this.queues.queue, {
        batchSize: config.batchSize,
        maxBatchingWindow: Duration.seconds(config.batchingWindowSeconds),
        reportBatchItemFailures: true,
        maxConcurrency: config.maxConcurrency,
      }),
    );

    this.reconcile = new ScheduledReconcile(this, 'Reconcile', {
      stage,
      queue: this.queues.queue,
      ledger: this.tables.ledger,
      state: this.tables.state,
      apiKeySecret: this.apiKeySecret,
      intervalMinutes: config.reconcileIntervalMinutes,
      readsPerSecond: config.stripeReadsPerSecond,
      ...placement,
    });

    this.api = this.webhookApi(config);

    if (config.eventBridgeSource) {
      this.eventBridge = new EventBridgeDestination(this, 'EventBridge', {
        stage,
        eventSourceName: config.eventBridgeSource,
        queue: this.queues.queue,
        deadLetterQueue: this.queues.deadLetterQueue,
      });
    }

    this.alarms = new PipelineAlarms(this, 'Alarms', {
      stage,
      api: this.api,
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      worker: this.worker.function,
      alarmEmail: config.alarmEmail,
      oldestMessageAlarmSeconds: config.oldestMessageAlarmSeconds,
      signatureFailureAlarmThreshold: config.signatureFailureAlarmThreshold,
      reconcile: { function: this.reconcile.function.function, intervalMinutes: config.reconcileIntervalMinutes },
      ...(this.eventBridge ? { eventBridge: { busName: this.eventBridge.busName, ruleName: this.eventBridge.ruleName } } : {}),
    });
    new PipelineDashboard(this, 'Dashboard', {
      stage,
      api: this.api,
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ingest: this.ingest.function,
      worker: this.worker.function,
      reconcile: this.reconcile.function.function,
      ledger: this.tables.ledger,
      alarms: this.alarms.alarms,
    });

    this.outputs(stage);
  }

  private webhookApi(config: PipelineConfig): HttpApi {
    const api = new HttpApi(this, 'Api', {
      apiName: `${config.stage}-stripe-webhooks`,
      description: 'Receives Stripe webhooks',
      createDefaultStage: false,
    });
    // Every method reaches the ingest on /webhook, so a GET gets a clear 405 rather than a bare 404.
    const [route] = api.addRoutes({ path: '/webhook', methods: [HttpMethod.ANY], integration: new HttpLambdaIntegration('Ingest', this.ingest.function) });
    Validations.of(route!).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: STRIPE_AUTHENTICATES_BY_SIGNATURE,
    });
    acknowledgeControl(route!, 'CT.APIGATEWAY.PR.5', STRIPE_AUTHENTICATES_BY_SIGNATURE);
    this.limitInvokeToThisAccount(route!);
    const accessLogs = this.logs.group(this, 'ApiAccessLogs', `/aws/apigateway/${config.stage}-stripe-webhooks-access`);
    new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    return api;
  }

  /**
   * The ingest's invoke permission names the account whose API may call it (Control Tower's
   * CT.LAMBDA.PR.2), beside the API's ARN. Guard reads the template as written: it can check a literal
   * account id, so a synth with credentials (or CDK_DEFAULT_ACCOUNT) is checked in full; an offline
   * synth has only `AWS::AccountId`, which the deploy-time hook sees resolved.
   */
  private limitInvokeToThisAccount(route: Construct): void {
    const permissions = route.node.findAll().filter((child): child is CfnPermission => child instanceof CfnPermission);
    if (permissions.length !== 1) throw new Error(`Expected one invoke permission on the webhook route, found ${permissions.length}`);
    permissions[0]!.sourceAccount = this.account;
    if (Token.isUnresolved(this.account)) {
      acknowledgeControl(
        permissions[0]!,
        'CT.LAMBDA.PR.2',
        'SourceAccount is this account, which an offline synth knows only as AWS::AccountId; the deploy-time hook checks the resolved value. Synth with credentials or CDK_DEFAULT_ACCOUNT to check it here.',
      );
    }
  }

  private outputs(stage: string): void {
    const { queue, deadLetterQueue } = this.queues;
    new CfnOutput(this, 'WebhookUrl', { value: `${this.api.apiEndpoint}/webhook`, description: 'Paste this into Stripe (Dashboard → Developers → Webhooks → Add endpoint)' });
    new CfnOutput(this, 'QueueName', { value: queue.queueName });
    new CfnOutput(this, 'DeadLetterQueueName', { value: deadLetterQueue.queueName });
    new CfnOutput(this, 'LedgerTableName', { value: this.tables.ledger.tableName });
    new CfnOutput(this, 'ProjectionsTableName', { value: this.tables.projections.tableName });
    new CfnOutput(this, 'WebhookSecretName', { value: this.signingSecret.secretName, description: 'Put the whsec_ value here: aws secretsmanager put-secret-value --secret-id <name> --secret-string whsec_…' });
    new CfnOutput(this, 'StripeApiKeySecretName', {
      value: this.apiKeySecret.secretName,
      description: 'Put a restricted key here (Events: read; Webhook Endpoints: write): aws secretsmanager put-secret-value --secret-id <name> --secret-string rk_live_…',
    });
    new CfnOutput(this, 'StateTableName', { value: this.tables.state.tableName });
    new CfnOutput(this, 'RegisterEndpointCommand', {
      value: `npm run stripe:endpoint -- --stage ${stage} --region ${this.region}`,
      description: 'Creates the Stripe webhook endpoint for WebhookUrl with exactly the handled types, and stores its signing secret',
    });
    new CfnOutput(this, 'BackfillCommand', {
      value: `npm run backfill -- --stage ${stage} --region ${this.region} --since 72h`,
      description: "Queues events from Stripe's Events API that no webhook delivered, over a window you choose (the scheduled reconcile does this on its own from its checkpoint)",
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'RedriveCommand', {
      value: `npm run redrive -- --stage ${stage} --region ${this.region}`,
      description: `Replays the DLQ (SQS StartMessageMoveTask). Or: aws sqs start-message-move-task --source-arn ${deadLetterQueue.queueArn} --destination-arn ${queue.queueArn}`,
    });
    new CfnOutput(this, 'EventsCommand', {
      value: `npm run events -- --stage ${stage} --region ${this.region} --status failed --since 24h`,
      description: 'Lists the stage\'s events from the terminal (also --type, --id evt_…, --object pi_…, --json), with your own AWS credentials',
    });
    new CfnOutput(this, 'ConsoleCommand', {
      value: `npm run console -- --stage ${stage} --region ${this.region}`,
      description: 'Serves the operator console for this stage on 127.0.0.1 with your own AWS credentials, and prints its URL (with a token)',
    });
    if (this.eventBridge) {
      new CfnOutput(this, 'EventBusName', { value: this.eventBridge.busName, description: "The partner event bus receiving Stripe's events (EventBridge console → Event buses)" });
      new CfnOutput(this, 'EventRuleName', { value: this.eventBridge.ruleName, description: 'The rule on that bus that puts every Stripe event on the event queue' });
    }
  }
}

/** Why the webhook route has no authorizer: cdk-nag's APIG4 and Control Tower's APIGATEWAY.PR.5 alike. */
const STRIPE_AUTHENTICATES_BY_SIGNATURE =
  'Stripe cannot present IAM, JWT or Lambda-authorizer credentials. Each request is authenticated by its Stripe-Signature (HMAC-SHA256 over the raw body with the endpoint secret, 300 s replay window), checked by the ingest before anything is queued.';

/** The worker's STRIPE_LIVEMODE and STRIPE_ACCOUNTS, only when configured: unset, the worker accepts every event. */
function acceptanceEnvironment(config: PipelineConfig): Record<string, string> {
  return {
    ...(config.livemode === undefined ? {} : { STRIPE_LIVEMODE: String(config.livemode) }),
    ...(config.accounts === undefined ? {} : { STRIPE_ACCOUNTS: config.accounts === 'all' ? 'all' : config.accounts.join(',') }),
  };
}
