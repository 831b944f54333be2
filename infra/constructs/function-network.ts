import { Annotations, Validations } from 'aws-cdk-lib';
import {
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
  type ISecurityGroup,
  type IVpc,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { NetworkConfig } from '../config';

export interface FunctionNetworkProps {
  readonly stage: string;
  readonly config: NetworkConfig;
}

/**
 * The user's VPC, for a company that keeps its functions in one (Control Tower's CT.LAMBDA.PR.3):
 * which subnets and security groups the functions use, and the endpoints that let them reach SQS,
 * Secrets Manager and DynamoDB without leaving the VPC. api.stripe.com is reached through the VPC's
 * own egress (a NAT gateway or the company's proxy): Stripe has no endpoint in AWS.
 *
 * The VPC is looked up at synth, as CDK does (`cdk deploy` has credentials; the answer is cached in
 * cdk.context.json, which belongs in version control so later synths need no lookup).
 */
export class FunctionNetwork extends Construct {
  public readonly vpc: IVpc;
  public readonly subnets: SubnetSelection;
  public readonly securityGroups: readonly ISecurityGroup[];

  constructor(scope: Construct, id: string, props: FunctionNetworkProps) {
    super(scope, id);
    const { config, stage } = props;
    this.vpc = Vpc.fromLookup(this, 'Vpc', { vpcId: config.vpcId });
    this.subnets = this.subnetSelection(config.subnetIds);
    this.securityGroups = config.securityGroupIds
      ? config.securityGroupIds.map((groupId, index) => SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${index + 1}`, groupId))
      : [this.functionsSecurityGroup(stage)];
    if (config.createEndpoints) this.addEndpoints(stage);
  }

  /**
   * What Lambda needs to attach a function to the VPC: the EC2 half of AWS's
   * AWSLambdaVPCAccessExecutionRole (its log permissions are on every log group; the function's own
   * role already writes to its own). Lambda checks these on "*" when it creates the function.
   */
  grantNetworkInterfaces(role: Role): void {
    role.addToPolicy(
      new PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Lambda creates and removes the function\'s network interfaces in the VPC with its role, and requires these EC2 actions on "*" (the EC2 half of AWSLambdaVPCAccessExecutionRole).',
    });
  }

  /**
   * The subnets named by subnetIds, found among the looked-up VPC's private subnets (with egress or
   * isolated, for a VPC whose egress is a proxy), or by default its private subnets with egress. An id
   * that is not one of them is an error that fails the deploy.
   */
  private subnetSelection(subnetIds: readonly string[] | undefined): SubnetSelection {
    const byDefault = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
    if (!subnetIds) return byDefault;
    // Not public subnets: a function there has no public address, so no way out.
    const known = [...this.vpc.privateSubnets, ...this.vpc.isolatedSubnets];
    const chosen = known.filter((subnet) => subnetIds.includes(subnet.subnetId));
    const missing = subnetIds.filter((subnetId) => !chosen.some((subnet) => subnet.subnetId === subnetId));
    if (missing.length === 0) return { subnets: chosen };
    // An error, not a throw, and a synth that goes on: the CLI's first synth runs on CDK's stand-in
    // VPC, before the lookup answers, and synthesizes again with the real one.
    Annotations.of(this).addError(
      `subnetIds: ${missing.join(', ')} not among the private subnets of ${this.vpc.vpcId} (${known.map((subnet) => subnet.subnetId).join(', ')})`,
    );
    return byDefault;
  }

  /** HTTPS out and nothing else: to the endpoints, and to api.stripe.com through the VPC's egress. */
  private functionsSecurityGroup(stage: string): SecurityGroup {
    const group = new SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc: this.vpc,
      description: `The ${stage} Stripe webhook functions: HTTPS out only`,
      allowAllOutbound: false,
    });
    group.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to the VPC endpoints, and to api.stripe.com through the VPC egress');
    return group;
  }

  /**
   * Interface endpoints for SQS and Secrets Manager (private DNS, so the SDK's usual host names reach
   * them), open only to the functions' security groups, and DynamoDB's gateway endpoint (free) on the
   * functions' subnets' route tables. Endpoints serve the whole VPC: no endpoint policy narrows them to
   * this stack, which would cut off the VPC's other workloads.
   */
  private addEndpoints(stage: string): void {
    const endpointsGroup = new SecurityGroup(this, 'EndpointsSecurityGroup', {
      vpc: this.vpc,
      description: `VPC endpoints of the ${stage} Stripe webhook functions: HTTPS in from the functions`,
      allowAllOutbound: false,
    });
    for (const group of this.securityGroups) endpointsGroup.addIngressRule(Peer.securityGroupId(group.securityGroupId), Port.tcp(443), 'HTTPS from the Stripe webhook functions');
    const services = { Sqs: InterfaceVpcEndpointAwsService.SQS, SecretsManager: InterfaceVpcEndpointAwsService.SECRETS_MANAGER };
    for (const [id, service] of Object.entries(services)) {
      this.vpc.addInterfaceEndpoint(id, { service, subnets: this.subnets, securityGroups: [endpointsGroup], open: false, privateDnsEnabled: true });
    }
    this.vpc.addGatewayEndpoint('DynamoDb', { service: GatewayVpcEndpointAwsService.DYNAMODB, subnets: [this.subnets] });
  }
}
