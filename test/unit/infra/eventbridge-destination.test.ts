/**
 * The stack with an EventBridge destination (`-c eventBridgeSource=aws.partner/stripe.com/ed_…`),
 * checked on its synthesized CloudFormation, and compared with the stack without one. cdk-nag's
 * AwsSolutions pack runs at synth; the stack must pass it in this configuration too.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../../infra/app';
import { STRIPE_PARTNER_SOURCE_PREFIX, TARGET_MAX_EVENT_AGE, TARGET_RETRY_ATTEMPTS } from '../../../infra/constructs/eventbridge-destination';
import type { WebhookStack } from '../../../infra/webhook-stack';

const SOURCE = 'aws.partner/stripe.com/ed_test_61RM8ltWcTW4mbsxf16RJyfa2xSQLHJJh1sxm7H0KVT6';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Effect: string; Principal?: unknown; Condition?: unknown };

function synthesize(context: Record<string, unknown>): { stack: WebhookStack; template: Template } {
  const app = new App({ context });
  const { stack } = createApp(app);
  // Throws if any AwsSolutions rule fails without a written acknowledgement.
  app.synth();
  return { stack, template: Template.fromStack(stack) };
}

/** How many resources of each type a template has. */
function resourceTypes(template: Template): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of Object.values(template.toJSON().Resources as Record<string, { Type: string }>)) counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
  return counts;
}

describe('WebhookStack with an EventBridge destination', () => {
  let stack: WebhookStack;
  let template: Template;
  let plain: Template;

  beforeAll(() => {
    ({ stack, template } = synthesize({ stage: 'prod', eventBridgeSource: SOURCE }));
    ({ template: plain } = synthesize({ stage: 'prod' }));
  }, 240_000);

  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  const arnOf = (construct: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
  const ruleArn = () => arnOf(stack.eventBridge!.rule);
  const queuePolicyStatements = (queue: { node: { defaultChild?: unknown } }): Statement[] => {
    const policies = template.findResources('AWS::SQS::QueuePolicy', { Properties: { Queues: [{ Ref: logicalId(queue) }] } });
    return Object.values(policies).flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
  };
  const fromEventBridge = (statements: Statement[]) => statements.filter((statement) => JSON.stringify(statement.Principal ?? '').includes('events.amazonaws.com'));

  it('creates the partner event bus named after, and matched with, the partner event source', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: SOURCE, EventSourceName: SOURCE });
  });

  it("matches every Stripe event on that bus, by the partner source's prefix", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'prod-stripe-eventbridge-to-queue',
      EventBusName: { Ref: logicalId(stack.eventBridge!.bus) },
      EventPattern: { source: [{ prefix: 'aws.partner/stripe.com/' }] },
      State: 'ENABLED',
    });
    expect(STRIPE_PARTNER_SOURCE_PREFIX).toBe('aws.partner/stripe.com/');
  });

  it('puts the whole EventBridge event on the event queue, retrying for a day, then into the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'prod-stripe-eventbridge-to-queue',
      Targets: [
        {
          Id: Match.anyValue(),
          Arn: arnOf(stack.queues.queue),
          DeadLetterConfig: { Arn: arnOf(stack.queues.deadLetterQueue) },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          // No Input or InputTransformer: the worker reads the EventBridge envelope, `detail` is the event.
        },
      ],
    });
    expect([TARGET_RETRY_ATTEMPTS, TARGET_MAX_EVENT_AGE.toSeconds()]).toEqual([185, 86_400]);
  });

  it('lets EventBridge send to the event queue only on behalf of this rule', () => {
    const statements = fromEventBridge(queuePolicyStatements(stack.queues.queue));
    // What aws-events-targets' SqsQueue grants for a queue without a customer managed key: its
    // grantSendMessages (SendMessage and two metadata reads), conditioned on the rule's ARN.
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Resource: arnOf(stack.queues.queue),
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn() } },
      },
    ]);
  });

  it('lets EventBridge send to the dead-letter queue only on behalf of this rule', () => {
    const statements = fromEventBridge(queuePolicyStatements(stack.queues.deadLetterQueue));
    expect(statements).toEqual([
      {
        Sid: expect.stringMatching(/^AllowEventRule/),
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: arnOf(stack.queues.deadLetterQueue),
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn() } },
      },
    ]);
  });

  it('keeps both queues encrypted with SQS-managed keys (EventBridge needs no KMS grant) and refusing requests without TLS', () => {
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true }, 2);
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() }, 0);
    template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) } },
      2,
    );
  });

  it("alarms on the rule's failed and dead-lettered deliveries, by bus and rule name", () => {
    const dimensions = [
      { Name: 'EventBusName', Value: SOURCE },
      { Name: 'RuleName', Value: 'prod-stripe-eventbridge-to-queue' },
    ];
    const metric = (metricName: string) =>
      Match.objectLike({ MetricStat: Match.objectLike({ Metric: { Namespace: 'AWS/Events', MetricName: metricName, Dimensions: dimensions }, Stat: 'Sum' }) });
    const topic = { Ref: logicalId(stack.alarms.topic) };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'prod-stripe-webhooks-EventBridgeDeliveries',
      Metrics: Match.arrayWith([metric('FailedInvocations'), metric('InvocationsSentToDlq'), metric('InvocationsFailedToBeSentToDlq')]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic],
      OKActions: [topic],
    });
  });

  it('outputs the bus and the rule', () => {
    const outputs = template.findOutputs('*');
    expect(outputs.EventBusName).toMatchObject({ Value: SOURCE });
    expect(outputs.EventRuleName).toMatchObject({ Value: 'prod-stripe-eventbridge-to-queue' });
  });

  it('adds exactly the bus, the rule and the alarm to the stack without it', () => {
    const withIt = resourceTypes(template);
    const without = resourceTypes(plain);
    const added = Object.fromEntries(
      Object.keys({ ...withIt, ...without })
        .map((type) => [type, (withIt[type] ?? 0) - (without[type] ?? 0)] as const)
        .filter(([, difference]) => difference !== 0),
    );
    expect(added).toEqual({ 'AWS::Events::EventBus': 1, 'AWS::Events::Rule': 1, 'AWS::CloudWatch::Alarm': 1 });
    expect(without['AWS::Events::EventBus'] ?? 0).toBe(0);
    // The only rule without EventBridge is the reconcile's schedule.
    expect(Object.values(plain.findResources('AWS::Events::Rule')).map((rule) => (rule as { Properties: { Name: string } }).Properties.Name)).toEqual(['prod-stripe-webhook-reconcile']);
  });
});
