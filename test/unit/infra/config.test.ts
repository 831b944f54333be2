import { ConfigValidationError, DEFAULT_CONFIG, loadPipelineConfig } from '../../../infra/config';

const fromContext = (context: Record<string, unknown>) => () => loadPipelineConfig((key) => context[key]);

function problemsOf(context: Record<string, unknown>): readonly string[] {
  try {
    fromContext(context)();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadPipelineConfig', () => {
  it('uses the defaults when no context is given', () => {
    expect(fromContext({})()).toEqual(DEFAULT_CONFIG);
  });

  it('reads context values given as strings on the command line', () => {
    expect(fromContext({ stage: 'prod', alarmEmail: 'ops@example.com', maxConcurrency: '50' })()).toMatchObject({ stage: 'prod', alarmEmail: 'ops@example.com', maxConcurrency: 50 });
  });

  it.each([
    [{ stage: 'Prod_1' }, /stage must be/],
    [{ alarmEmail: 'not-an-address' }, /alarmEmail must be an e-mail/],
    [{ maxConcurrency: '1' }, /maxConcurrency must be a whole number from 2/],
    [{ batchSize: '100', batchingWindowSeconds: '0' }, /batchingWindowSeconds of at least 1/],
    [{ logRetentionDays: '10' }, /logRetentionDays must be one of/],
    [{ livemode: 'yes' }, /livemode must be true \(live events only\), false \(test events only\) or unset/],
    [{ livemode: 1 }, /livemode must be true/],
    [{ accounts: 'acct_1ABC,acct 2' }, /accounts entries must be "platform" or acct_… ids.*"acct 2"/],
    [{ accounts: 'all,acct_1ABC' }, /accounts entries must be .*"all"/],
    [{ accounts: 'Platform' }, /accounts entries must be/],
    [{ accounts: ' , ' }, /accounts must name at least one account/],
    [{ accounts: 42 }, /accounts must be "all", or "platform" and acct_… ids/],
    [{ eventBridgeSource: 'aws.partner/stripe.com' }, /eventBridgeSource must be the partner event source .*aws\.partner\/stripe\.com\/ed_…/],
    [{ eventBridgeSource: 'aws.partner/opsgenie.com/ed_123' }, /eventBridgeSource must be/],
    [{ eventBridgeSource: 'aws.partner/stripe.com/ed_test 1' }, /eventBridgeSource must be/],
    [{ eventBridgeSource: 'arn:aws:events:us-east-1:123456789012:event-source/aws.partner/stripe.com/ed_1' }, /eventBridgeSource must be/],
    [{ vpcId: 'my-vpc' }, /vpcId must be a VPC id, vpc-…, got "my-vpc"/],
    [{ ledgerIndexes: '9' }, /ledgerIndexes must be a whole number from 1 to 4/],
    [{ vpcId: 'vpc-0abc12345678', subnetIds: 'subnet-0aaa1111,sg-0123abcd' }, /subnetIds must be subnet-… ids separated by commas/],
    [{ vpcId: 'vpc-0abc12345678', securityGroupIds: ' , ' }, /securityGroupIds must be sg-… ids/],
    [{ vpcId: 'vpc-0abc12345678', vpcEndpoints: 'no' }, /vpcEndpoints must be true \(the stack adds the endpoints\) or false \(the VPC has them\)/],
    [{ subnetIds: 'subnet-0aaa1111', vpcEndpoints: 'false' }, /^subnetIds, vpcEndpoints need vpcId: pass -c vpcId=vpc-…/],
  ])('refuses %j', (context, message) => {
    expect(problemsOf(context)).toEqual([expect.stringMatching(message)]);
  });

  it('leaves livemode, accounts and eventBridgeSource unset by default, and when given empty', () => {
    const config = fromContext({ livemode: '', accounts: '', eventBridgeSource: '' })();
    expect(config).not.toHaveProperty('livemode');
    expect(config).not.toHaveProperty('accounts');
    expect(config).not.toHaveProperty('eventBridgeSource');
  });

  it.each([
    [{ livemode: 'true' }, { livemode: true }],
    [{ livemode: false }, { livemode: false }],
    [{ accounts: 'all' }, { accounts: 'all' }],
    [{ accounts: ' platform , acct_1ABC ' }, { accounts: ['platform', 'acct_1ABC'] }],
    [{ accounts: ['acct_1ABC', 'acct_2DEF'] }, { accounts: ['acct_1ABC', 'acct_2DEF'] }],
    [{ eventBridgeSource: 'aws.partner/stripe.com/ed_test_61RM8ltWcTW4mbsxf16RJyfa2xSQLHJJh1sxm7H0KVT6' }, { eventBridgeSource: 'aws.partner/stripe.com/ed_test_61RM8ltWcTW4mbsxf16RJyfa2xSQLHJJh1sxm7H0KVT6' }],
  ])('reads %j', (context, expected) => {
    expect(fromContext(context)()).toMatchObject(expected);
  });

  it('keeps logs a year on a production stage and 30 days elsewhere, unless logRetentionDays says otherwise', () => {
    expect(fromContext({ stage: 'prod' })().logRetentionDays).toBe(365);
    expect(fromContext({ stage: 'production' })().logRetentionDays).toBe(365);
    expect(fromContext({ stage: 'staging' })().logRetentionDays).toBe(30);
    expect(fromContext({ stage: 'prod', logRetentionDays: '90' })().logRetentionDays).toBe(90);
    expect(fromContext({ stage: 'dev', logRetentionDays: 731 })().logRetentionDays).toBe(731);
  });

  it('reads the VPC settings, with the endpoints on unless turned off', () => {
    expect(fromContext({})()).not.toHaveProperty('network');
    expect(fromContext({ vpcId: 'vpc-0abc12345678' })().network).toEqual({ vpcId: 'vpc-0abc12345678', createEndpoints: true });
    expect(fromContext({ vpcId: 'vpc-0abc12345678', subnetIds: 'subnet-0aaa1111, subnet-0bbb2222', securityGroupIds: ['sg-0123abcd'], vpcEndpoints: 'false' })().network).toEqual({
      vpcId: 'vpc-0abc12345678',
      subnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'],
      securityGroupIds: ['sg-0123abcd'],
      createEndpoints: false,
    });
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ stage: '', batchSize: 'x', ingestTimeoutSeconds: '60' })).toHaveLength(3);
    expect(problemsOf({ livemode: 'live', accounts: 'acct-1', eventBridgeSource: 'stripe' })).toHaveLength(3);
  });
});
