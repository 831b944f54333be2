/**
 * AWS Control Tower's proactive controls, run by @cdklabs/cdk-validator-cfnguard at every synth: the
 * stack passes them with only the written exceptions, with and without a VPC, and the fixes they asked
 * for (encrypted log groups, grants only for AWS services, the account on the invoke permission, the
 * dead-letter queue's redrive allow policy, the VPC's endpoints) are checked on the template.
 */
import { App, type Environment } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { QUEUES, resourceName } from '../../../functions/shared/resources';
import { createApp } from '../../../infra/app';
import { controlExceptions, type AcknowledgedControl } from '../../../infra/control-tower';
import type { WebhookStack } from '../../../infra/webhook-stack';

const ACCOUNT = { account: '123456789012', region: 'eu-west-1' };
const VPC_ID = 'vpc-0abc12345678';
const PRIVATE_SUBNETS = [
  { subnetId: 'subnet-0aaa1111', cidr: '10.0.1.0/24', availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0aaa1111' },
  { subnetId: 'subnet-0bbb2222', cidr: '10.0.2.0/24', availabilityZone: 'eu-west-1b', routeTableId: 'rtb-0bbb2222' },
];
const PUBLIC_SUBNET = { subnetId: 'subnet-0ccc3333', cidr: '10.0.3.0/24', availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0ccc3333' };
const ISOLATED_SUBNET = { subnetId: 'subnet-0eee5555', cidr: '10.0.5.0/24', availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0eee5555' };

/** What `cdk synth` with credentials would have cached in cdk.context.json for `Vpc.fromLookup`. */
const VPC_LOOKUP = {
  [`vpc-provider:account=${ACCOUNT.account}:filter.vpc-id=${VPC_ID}:region=${ACCOUNT.region}:returnAsymmetricSubnets=true`]: {
    vpcId: VPC_ID,
    vpcCidrBlock: '10.0.0.0/16',
    availabilityZones: [],
    subnetGroups: [
      { name: 'Private', type: 'Private', subnets: PRIVATE_SUBNETS },
      { name: 'Public', type: 'Public', subnets: [PUBLIC_SUBNET] },
      { name: 'Isolated', type: 'Isolated', subnets: [ISOLATED_SUBNET] },
    ],
  },
};

interface Synthesized {
  readonly stack: WebhookStack;
  readonly template: Template;
  /** Each acknowledged control, with the construct path relative to the stack. */
  readonly exceptions: readonly { control: AcknowledgedControl; path: string }[];
}

/** Builds the app as `npx cdk synth` does and synthesizes it: this throws on any control or cdk-nag failure. */
function synthesize(context: Record<string, unknown>, env: Environment = {}): Synthesized {
  const app = new App({ context });
  const { stack } = createApp(app, env);
  app.synth();
  const exceptions = controlExceptions(stack).map(({ control, path }) => ({ control, path: path.slice(stack.node.path.length + 1) }));
  return { stack, template: Template.fromStack(stack), exceptions };
}

const FUNCTIONS = ['Ingest/Function', 'Worker/Function', 'Reconcile/Function/Function'];
const LOG_GROUPS = ['Ingest/Logs', 'Worker/Logs', 'Reconcile/Function/Logs', 'ApiAccessLogs'];

type Statement = Record<string, unknown>;
const keyStatements = (template: Template): Statement[][] =>
  Object.values(template.findResources('AWS::KMS::Key')).map((key) => (key as { Properties: { KeyPolicy: { Statement: Statement[] } } }).Properties.KeyPolicy.Statement);

describe('Control Tower controls, offline, without an account (as a user first runs npx cdk synth)', () => {
  let prod: Synthesized;
  beforeAll(() => {
    prod = synthesize({ stage: 'prod' });
  }, 120_000);

  it('passes with only the written exceptions: the route, functions outside a VPC, and the account unknown offline', () => {
    expect(prod.exceptions).toEqual(
      expect.arrayContaining([
        { control: 'CT.APIGATEWAY.PR.5', path: 'Api/ANY--webhook' },
        ...FUNCTIONS.map((path) => ({ control: 'CT.LAMBDA.PR.3', path })),
        { control: 'CT.LAMBDA.PR.2', path: 'Api/ANY--webhook/Ingest-Permission' },
      ]),
    );
    expect(prod.exceptions).toHaveLength(5);
  });

  it('keeps a prod stage\'s logs for a year by default, and encrypts every log group with the stage\'s key', () => {
    const groups = prod.template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(groups)).toHaveLength(LOG_GROUPS.length);
    const logsKey = { 'Fn::GetAtt': [prod.stack.getLogicalId(prod.stack.logs.key.node.defaultChild as never), 'Arn'] };
    for (const group of Object.values(groups)) expect(group).toMatchObject({ Properties: { RetentionInDays: 365, KmsKeyId: logsKey } });
  });

  it("lets CloudWatch Logs use the key only for the stage's own log groups, by name", () => {
    const [statement] = keyStatements(prod.template)
      .flat()
      .filter((candidate) => JSON.stringify(candidate.Principal).includes('logs.'));
    const names = Object.values(prod.template.findResources('AWS::Logs::LogGroup')).map((group) => (group as { Properties: { LogGroupName: string } }).Properties.LogGroupName);
    expect(names.sort()).toEqual(['/aws/apigateway/prod-stripe-webhooks-access', '/aws/lambda/prod-stripe-webhook-ingest', '/aws/lambda/prod-stripe-webhook-reconcile', '/aws/lambda/prod-stripe-webhook-worker']);
    const allowed = prod.stack.resolve((statement!.Condition as { ArnEquals: Record<string, unknown> }).ArnEquals['kms:EncryptionContext:aws:logs:arn']) as unknown[];
    expect(allowed.map((arn) => JSON.stringify(arn)).sort()).toEqual(names.map((name) => expect.stringContaining(`:log-group:${name}"`)));
  });

  it('denies kms:CreateGrant on every key, unless an AWS service makes it for an AWS resource', () => {
    const statements = keyStatements(prod.template);
    expect(statements).toHaveLength(2);
    for (const policy of statements) {
      expect(policy).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'kms:CreateGrant',
          Principal: { AWS: '*' },
          Resource: '*',
          Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
        }),
      );
    }
  });

  it("names the ingest's account on API Gateway's invoke permission", () => {
    prod.template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'apigateway.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' } });
  });

  it('lets only the event queue dead-letter to the dead-letter queue (its redrive allow policy)', () => {
    prod.template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: resourceName('prod', QUEUES.deadLetters),
      RedriveAllowPolicy: {
        redrivePermission: 'byQueue',
        sourceQueueArns: [{ 'Fn::Join': ['', Match.arrayWith([`:${resourceName('prod', QUEUES.events)}`])] }],
      },
    });
  });

  it('fails synth on a resource that breaks a control, naming it', () => {
    const app = new App({ context: { stage: 'prod' } });
    const { stack } = createApp(app);
    new LogGroup(stack, 'PlainLogGroup', { retention: 365 });
    // Its retention passes CT.CLOUDWATCH.PR.2; it has no KMS key. Only it fails, though others are acknowledged.
    const message = (() => {
      try {
        app.synth();
      } catch (error) {
        return (error as Error).message;
      }
      return 'synth passed';
    })();
    expect(message).toMatch(/CT\.CLOUDWATCH\.PR\.3[^\n]*\n\s+StripeWebhooks-prod\/PlainLogGroup/);
    expect(message.match(/CT\.[A-Z]+\.PR\.\d+/g)).toEqual(['CT.CLOUDWATCH.PR.3']);
  }, 120_000);
});

describe('Control Tower controls with the account known (a synth with credentials)', () => {
  let dev: Synthesized;
  beforeAll(() => {
    dev = synthesize({ stage: 'dev' }, ACCOUNT);
  }, 120_000);

  it('checks SourceAccount literally, so CT.LAMBDA.PR.2 needs no exception', () => {
    dev.template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'apigateway.amazonaws.com', SourceAccount: ACCOUNT.account });
    expect(dev.exceptions.filter(({ control }) => control === 'CT.LAMBDA.PR.2')).toEqual([]);
  });

  it('keeps logs 30 days on a stage other than prod, acknowledged on each log group', () => {
    for (const group of Object.values(dev.template.findResources('AWS::Logs::LogGroup'))) expect(group).toMatchObject({ Properties: { RetentionInDays: 30 } });
    expect(dev.exceptions.filter(({ control }) => control === 'CT.CLOUDWATCH.PR.2').map(({ path }) => path).sort()).toEqual([...LOG_GROUPS].sort());
  });

  it('needs no retention exception when logRetentionDays is a year or more', () => {
    const { exceptions } = synthesize({ stage: 'dev', logRetentionDays: '400' }, ACCOUNT);
    expect(exceptions.filter(({ control }) => control === 'CT.CLOUDWATCH.PR.2')).toEqual([]);
  }, 120_000);
});

describe('Control Tower controls with -c vpcId (CT.LAMBDA.PR.3)', () => {
  let inVpc: Synthesized;
  beforeAll(() => {
    inVpc = synthesize({ stage: 'prod', vpcId: VPC_ID, ...VPC_LOOKUP }, ACCOUNT);
  }, 120_000);

  it('passes with only the route written as an exception', () => {
    expect(inVpc.exceptions).toEqual([{ control: 'CT.APIGATEWAY.PR.5', path: 'Api/ANY--webhook' }]);
  });

  it("runs every function in the VPC's private subnets, in a security group that only sends HTTPS", () => {
    const group = { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkFunctionsSecurityGroup'), 'GroupId'] };
    inVpc.template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { VpcConfig: { SubnetIds: PRIVATE_SUBNETS.map(({ subnetId }) => subnetId), SecurityGroupIds: [group] } },
      3,
    );
    inVpc.template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'The prod Stripe webhook functions: HTTPS out only',
      VpcId: VPC_ID,
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
    });
  });

  it('adds SQS and Secrets Manager interface endpoints open only to the functions, and a DynamoDB gateway endpoint on their route tables', () => {
    for (const service of ['sqs', 'secretsmanager']) {
      inVpc.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: `com.amazonaws.${ACCOUNT.region}.${service}`,
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        SubnetIds: PRIVATE_SUBNETS.map(({ subnetId }) => subnetId),
      });
    }
    inVpc.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('dynamodb')])] },
      VpcEndpointType: 'Gateway',
      RouteTableIds: PRIVATE_SUBNETS.map(({ routeTableId }) => routeTableId),
    });
    inVpc.template.resourceCountIs('AWS::EC2::VPCEndpoint', 3);
    inVpc.template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^VPC endpoints'),
      SecurityGroupIngress: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkFunctionsSecurityGroup'), 'GroupId'] }, Description: Match.anyValue() },
      ],
    });
  });

  it("lets each function's role manage its network interfaces, and nothing more on every resource", () => {
    const policies = Object.values(inVpc.template.findResources('AWS::IAM::Policy')) as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }[];
    const onEverything = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement).filter((statement) => statement.Resource === '*');
    expect(onEverything).toHaveLength(3);
    for (const statement of onEverything) expect([statement.Action].flat().every((action) => /^ec2:\w+NetworkInterfaces?$|^ec2:DescribeSubnets$|^ec2:(Un)?[Aa]ssignPrivateIpAddresses$/.test(action))).toBe(true);
  });

  it('uses the subnets and security groups given, and adds no endpoint with vpcEndpoints=false', () => {
    const chosen = synthesize(
      { stage: 'prod', vpcId: VPC_ID, subnetIds: `${ISOLATED_SUBNET.subnetId},${PRIVATE_SUBNETS[1]!.subnetId}`, securityGroupIds: 'sg-0123abcd', vpcEndpoints: 'false', ...VPC_LOOKUP },
      ACCOUNT,
    );
    chosen.template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { VpcConfig: { SubnetIds: [PRIVATE_SUBNETS[1]!.subnetId, ISOLATED_SUBNET.subnetId], SecurityGroupIds: ['sg-0123abcd'] } },
      3,
    );
    chosen.template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    chosen.template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  }, 120_000);

  it('refuses a subnet the VPC does not have, or a public one, naming the private ones it has', () => {
    const app = new App({ context: { stage: 'prod', vpcId: VPC_ID, subnetIds: `subnet-0ddd4444,${PUBLIC_SUBNET.subnetId}`, ...VPC_LOOKUP } });
    const { stack } = createApp(app, ACCOUNT);
    const errors = app.synth().getStackArtifact(stack.artifactId).messages.filter((message) => message.level === 'error');
    expect(errors.map((error) => error.entry.data)).toEqual(['subnetIds: subnet-0ddd4444, subnet-0ccc3333 not among the private subnets of vpc-0abc12345678 (subnet-0aaa1111, subnet-0bbb2222, subnet-0eee5555)']);
  }, 120_000);
});
