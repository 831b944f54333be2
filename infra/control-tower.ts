/**
 * AWS Control Tower's proactive controls, checked at every synth: the CloudFormation Guard rules
 * Control Tower's hooks enforce at deploy time, run offline by the cfn-guard binary that
 * @cdklabs/cdk-validator-cfnguard ships. A resource that breaks a control fails `npx cdk synth` and
 * `npm test`, as it would fail a deploy into an account where that control is enabled.
 *
 * The stack passes every control but those it rightly differs from. Each of those is acknowledged on
 * the one resource it concerns, with its reason beside it, as cdk-nag's findings are: a new resource
 * that breaks the same control still fails.
 */
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { Annotations, Validations, type IPolicyValidationContext, type IPolicyValidationPlugin, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The controls the stack may acknowledge, by Control Tower id, with the Guard rule that checks each. */
export const CONTROL_RULES = {
  'CT.APIGATEWAY.PR.5': 'api_gw_v2_authorization_type_configured_check',
  'CT.CLOUDWATCH.PR.2': 'cloudwatch_log_group_retention_period_check',
  'CT.LAMBDA.PR.2': 'lambda_function_public_access_prohibited_check',
  'CT.LAMBDA.PR.3': 'lambda_inside_vpc_check',
} as const;

export type AcknowledgedControl = keyof typeof CONTROL_RULES;

/** The plugin's name, which prefixes its rules in an acknowledgement. */
const PLUGIN_NAME = 'cdk-validator-cfnguard';

/** One control acknowledged on one construct. */
export interface ControlException {
  readonly control: AcknowledgedControl;
  /** The construct's path, e.g. `StripeWebhooks-prod/Api/ANY--webhook`. */
  readonly path: string;
  readonly reason: string;
}

/**
 * The validator with every bundled Control Tower control enabled: exceptions are per resource, never
 * global. Each violation is marked an error: once any acknowledgement applies, aws-cdk-lib decides
 * whether synth fails from the violations' severity, which the Guard plugin leaves unset, so that
 * without the mark a stack with one acknowledgement would pass every other failing control.
 */
export function controlTowerValidator(): IPolicyValidationPlugin {
  // A large template's report can pass Node's 1 MB default buffer for the guard process.
  const guard = new CfnGuardValidator({ maxBuffer: 16 * 1024 * 1024 });
  return {
    name: guard.name,
    version: guard.version,
    ruleIds: guard.ruleIds,
    validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
      const report = guard.validate(context);
      return { ...report, violations: report.violations.map((violation) => ({ ...violation, severity: violation.severity ?? 'error' })) };
    },
  };
}

/**
 * Acknowledges one control on one construct (and the resources under it), with the reason: synth
 * then passes for it, and the reason is kept in the construct's metadata for an audit.
 *
 * @example
 * acknowledgeControl(route, 'CT.APIGATEWAY.PR.5', 'Stripe cannot present credentials; the signature is checked');
 */
export function acknowledgeControl(scope: IConstruct, control: AcknowledgedControl, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${PLUGIN_NAME}::${CONTROL_RULES[control]}`, reason: `${control}: ${reason}` });
}

/** Every control acknowledged in `scope`, read back from the constructs' metadata. */
export function controlExceptions(scope: IConstruct): ControlException[] {
  const controlOf = Object.fromEntries(Object.entries(CONTROL_RULES).map(([control, rule]) => [`${PLUGIN_NAME}::${rule}`, control as AcknowledgedControl]));
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .filter(([id]) => id in controlOf)
      .map(([id, reason]) => ({ control: controlOf[id]!, path: construct.node.path, reason })),
  );
}

/**
 * One line at synth naming the controls this stack does not meet and how many resources each
 * concerns, so that whoever deploys into a Control Tower account sees them without reading the code.
 */
export function reportControlExceptions(scope: IConstruct): void {
  const counts = new Map<string, number>();
  for (const { control } of controlExceptions(scope)) counts.set(control, (counts.get(control) ?? 0) + 1);
  if (counts.size === 0) return;
  const list = [...counts].map(([control, count]) => `${control} (${count})`).join(', ');
  Annotations.of(scope).addInfo(`Control Tower controls acknowledged, with their reasons (README: Control Tower): ${list}`);
}
