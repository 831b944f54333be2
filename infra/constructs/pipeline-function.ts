import { join } from 'node:path';
import { CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, LoggingFormat } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeControl } from '../control-tower';
import { METRICS_NAMESPACE } from '../../functions/shared/observability';
import { BUNDLE_OPTIONS, FUNCTION_ENTRIES, type FunctionName } from '../bundle';
import type { FunctionNetwork } from './function-network';
import type { StageLogs } from './stage-logs';

const ROOT = join(__dirname, '..', '..');

/** The newest Node.js runtime aws-cdk-lib offers; Lambda's Node 24 also drops the SDK v3 Node 20 warning. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

export interface PipelineFunctionProps {
  readonly name: FunctionName;
  readonly functionName: string;
  readonly serviceName: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  /** The stage's log groups: the function's own is made there (encrypted, with the stage's retention). */
  readonly logs: StageLogs;
  /** The VPC to run in. @default none: outside any VPC */
  readonly network?: FunctionNetwork;
}

/**
 * One of the pipeline's Lambda functions: arm64, the newest Node.js runtime, bundled on this machine
 * by esbuild (no Docker) with the same options as `npm run bundle` (infra/bundle.ts). Each function gets
 * its own role, whose only permission to start with is writing to its own log group; callers grant
 * the rest, resource by resource.
 */
export class PipelineFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    this.logGroup = props.logs.group(this, 'Logs', `/aws/lambda/${props.functionName}`);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.functionName} function`,
    });
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${this.logGroup.logGroupArn}:*`] }),
    );
    const logGroupId = Stack.of(this).getLogicalId(this.logGroup.node.defaultChild as CfnElement);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logGroupId}.Arn>:*]`,
      reason: 'Lambda names its log streams at run time; the wildcard covers only the streams of this function\'s own log group.',
    });
    this.function = new NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      entry: join(ROOT, FUNCTION_ENTRIES[props.name]),
      handler: 'handler',
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.network ? { vpc: props.network.vpc, vpcSubnets: props.network.subnets, securityGroups: [...props.network.securityGroups] } : {}),
      loggingFormat: LoggingFormat.JSON,
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // No --enable-source-maps: it adds to every cold start (BENCHMARKS.md, cold start). The maps
        // ship in the asset beside each bundle, to read a minified stack trace when one is needed.
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        minify: BUNDLE_OPTIONS.minify,
        sourceMap: BUNDLE_OPTIONS.sourcemap,
        target: BUNDLE_OPTIONS.target,
        format: OutputFormat.CJS,
        externalModules: [...BUNDLE_OPTIONS.external],
        mainFields: [...BUNDLE_OPTIONS.mainFields],
        esbuildArgs: { '--supported:dynamic-import': 'false' },
      },
    });
    if (props.network) {
      props.network.grantNetworkInterfaces(this.role);
    } else {
      acknowledgeControl(
        this.function,
        'CT.LAMBDA.PR.3',
        'no vpcId is configured: the function needs only AWS APIs and api.stripe.com, and a VPC would add endpoints and a NAT gateway to pay for. Where the control is enforced, deploy with -c vpcId=vpc-… (README, Control Tower).',
      );
    }
  }
}
