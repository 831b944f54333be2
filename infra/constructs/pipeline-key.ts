import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * A customer managed KMS key for one of the stack's purposes (the alarm topic, the log groups):
 * rotated yearly, and no grant may be made on it except by an AWS service for an AWS resource
 * (Control Tower's CT.KMS.PR.3). The services these keys serve, SNS and CloudWatch Logs, use the key
 * directly and make no grants; a person or role that could call CreateGrant could otherwise hand the
 * key's use to anyone.
 */
export function pipelineKey(scope: Construct, id: string, description: string): Key {
  const key = new Key(scope, id, { enableKeyRotation: true, description });
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'GrantsOnlyForAwsServices',
      effect: Effect.DENY,
      actions: ['kms:CreateGrant'],
      principals: [new AnyPrincipal()],
      // In a key policy, "*" means this key.
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
  return key;
}
