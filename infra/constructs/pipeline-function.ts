import { join } from 'node:path';
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, LoggingFormat } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../functions/shared/observability';
import { BUNDLE_OPTIONS, FUNCTION_ENTRIES, type FunctionName } from '../bundle';

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
  readonly logRetention: RetentionDays;
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
    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
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
  }
}
