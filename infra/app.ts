/**
 * The CDK app: one WebhookStack per stage, checked at synth by cdk-nag's AwsSolutions rules and by
 * AWS Control Tower's proactive controls (infra/control-tower.ts).
 *
 *   npx cdk deploy -c stage=prod -c alarmEmail=ops@example.com
 */
import { App, Validations, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadPipelineConfig } from './config';
import { controlTowerValidator, reportControlExceptions } from './control-tower';
import { WebhookStack } from './webhook-stack';

/** The deploy target: the CDK CLI sets these from the credentials it finds; offline they are unset. */
const CLI_ENVIRONMENT: Environment = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

export function createApp(app = new App(), env: Environment = CLI_ENVIRONMENT): { app: App; stack: WebhookStack } {
  const config = loadPipelineConfig((key) => app.node.tryGetContext(key));
  const stack = new WebhookStack(app, `StripeWebhooks-${config.stage}`, {
    config,
    description: `Stripe webhook pipeline (${config.stage}): API Gateway → Lambda → SQS → Lambda → DynamoDB`,
    env,
  });
  reportControlExceptions(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), controlTowerValidator());
  return { app, stack };
}

if (require.main === module) {
  createApp();
}
