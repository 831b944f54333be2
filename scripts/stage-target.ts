/**
 * Where a command works: a deployed stage, found by its name with the operator's own AWS credentials,
 * or the running `npm start`, found through its stack file. The one place that turns `--stage` or
 * `--local` into SDK clients, the pipeline's resources and a Stripe API, for the CLIs (events,
 * backfill) and the stage console.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SECRETS, secretName } from '../functions/shared/resources';
import { createStripeApi, type StripeApi } from '../functions/shared/stripe-api';
import { LOCAL_AWS } from '../local/emulators';
import { localStripeApiConfig } from '../local/local-stripe-api';
import { readLocalStackFile } from '../local/stack-file';
import { accessErrorIn, explainingAccess } from '../ops/access-errors';
import { stageResources, stageStripeApi, type PipelineResources } from '../ops/stage';

/** The flags that name a target, for parseArgs: `--stage S [--region R]` or `--local`. */
export const TARGET_FLAGS = {
  stage: { type: 'string' },
  region: { type: 'string' },
  local: { type: 'boolean', default: false },
} as const;

export type TargetSpec =
  | { readonly stage: string; readonly region?: string }
  | {
      readonly local: true;
      /** npm start's stack file. @default .local/stack.json */
      readonly stackFile?: string;
    };

export interface Target {
  /** `stage prod` or `the local stack`, for messages. */
  readonly name: string;
  readonly db: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly resources: PipelineResources;
  /** A stage's Secrets Manager client; none locally. */
  readonly secretsManager?: SecretsManagerClient;
  /** The stage's Stripe API key secret; none locally, where the key is the stand-in's (or STRIPE_API_KEY). */
  readonly apiKeySecretName?: string;
  /**
   * The Stripe API, made on the first call and kept: a stage's key is read from its secret, with the
   * operator's credentials, only when a command needs Stripe. STRIPE_API_BASE and STRIPE_READS_PER_SECOND apply.
   */
  stripeApi(): Promise<StripeApi>;
  /** Closes the clients. */
  close(): void;
}

/**
 * Opens a stage (clients for `region`, or the SDK's default) or the running local stack.
 *
 * @throws Error when the stage's queues are not found (not deployed in that account and region), or
 *   no local stack is running; AccessError when the credentials are missing or may not find them
 *
 * @example
 * const target = await openTarget({ stage: 'prod', region: 'eu-west-1' });
 * try { … target.db … await target.stripeApi() … } finally { target.close(); }
 */
export async function openTarget(spec: TargetSpec): Promise<Target> {
  return 'local' in spec ? localTarget(spec.stackFile) : stageTarget(spec.stage, spec.region);
}

function localTarget(stackFile: string | undefined): Target {
  const local = readLocalStackFile(stackFile);
  const db = new DynamoDBClient({ endpoint: local.dynamodbEndpoint, ...LOCAL_AWS });
  const sqs = new SQSClient({ endpoint: local.sqsEndpoint, ...LOCAL_AWS });
  const { queueUrl, deadLetterQueueUrl, ledgerTableName, projectionsTableName, stateTableName } = local;
  return {
    name: 'the local stack',
    db,
    sqs,
    resources: { queueUrl, deadLetterQueueUrl, ledgerTableName, projectionsTableName, stateTableName },
    stripeApi: once(() => createStripeApi(localStripeApiConfig(local.stripeApiBase))),
    close: () => {
      db.destroy();
      sqs.destroy();
    },
  };
}

async function stageTarget(stage: string, region: string | undefined): Promise<Target> {
  const options = region ? { region } : {};
  const db = new DynamoDBClient(options);
  const sqs = new SQSClient(options);
  const secretsManager = new SecretsManagerClient(options);
  const close = () => {
    db.destroy();
    sqs.destroy();
    secretsManager.destroy();
  };
  try {
    const resources = await stageResources(explainingAccess(sqs, "to find the stage's queues"), stage);
    const apiKeySecretName = secretName(stage, SECRETS.apiKey);
    return {
      name: `stage ${stage}`,
      db,
      sqs,
      resources,
      secretsManager,
      apiKeySecretName,
      stripeApi: once(() => stageStripeApi(explainingAccess(secretsManager, "to read the stage's Stripe API key"), apiKeySecretName)),
      close,
    };
  } catch (error) {
    close();
    // stageResources asks whether the stage is deployed; when access was refused, that is the answer.
    throw accessErrorIn(error) ?? error;
  }
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}
