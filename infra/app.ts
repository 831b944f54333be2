/**
 * The CDK app: one WebhookStack per stage, checked by cdk-nag's AwsSolutions rules at synth.
 *
 *   npx cdk deploy -c stage=prod -c alarmEmail=ops@example.com
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadPipelineConfig } from './config';
import { WebhookStack } from './webhook-stack';

export function createApp(app = new App()): { app: App; stack: WebhookStack } {
  const config = loadPipelineConfig((key) => app.node.tryGetContext(key));
  const stack = new WebhookStack(app, `StripeWebhooks-${config.stage}`, {
    config,
    description: `Stripe webhook pipeline (${config.stage}): API Gateway → Lambda → SQS → Lambda → DynamoDB`,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

if (require.main === module) {
  createApp();
}
