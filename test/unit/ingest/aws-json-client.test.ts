import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { AwsCallError, AwsJsonClient, SQS_SERVICE } from '../../../functions/ingest/aws-json-client';
import { scriptedAws, sendMessageAnswer, type ScriptedAnswer } from '../../helpers/aws-answers';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token' };
const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/events';
const input = { QueueUrl: queueUrl, MessageBody: '{"id":"evt_1"}', MessageAttributes: { Kind: { DataType: 'String', StringValue: 'snapshot' } } };

function clientAnswering(...answers: ScriptedAnswer[]) {
  const aws = scriptedAws((request) => answers.shift() ?? sendMessageAnswer(request));
  const sleeps: number[] = [];
  const client = new AwsJsonClient({
    service: SQS_SERVICE,
    region: 'eu-west-1',
    credentials,
    requestHandler: aws,
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { client, aws, sleeps };
}

describe('AwsJsonClient', () => {
  it('sends SendMessage as the SDK’s SQS client does: same address, target, content type and input', async () => {
    const sdkAws = scriptedAws(sendMessageAnswer);
    const sdk = new SQSClient({ region: 'eu-west-1', credentials, requestHandler: sdkAws });
    await sdk.send(new SendMessageCommand(input));
    const { client, aws } = clientAnswering();

    await client.call(new URL(queueUrl), 'SendMessage', input);

    const [ours, theirs] = [aws.requests[0]!, sdkAws.requests[0]!];
    expect(ours.url).toBe(theirs.url);
    expect(ours.target).toBe(theirs.target);
    expect(ours.headers['content-type']).toBe(theirs.headers['content-type']);
    expect(ours.input).toEqual(theirs.input);
  });

  it('signs with SigV4 for the service and region, with the session token', async () => {
    const { client, aws } = clientAnswering();
    await client.call(new URL(queueUrl), 'SendMessage', input);
    const { headers } = aws.requests[0]!;
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/sqs\/aws4_request, SignedHeaders=[^,]*content-type;host;[^,]*x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/);
    expect(headers['x-amz-security-token']).toBe('session-token');
    expect(headers['x-amz-content-sha256'] ?? headers['x-amz-date']).toBeDefined();
  });

  it('retries a 500, throttling and a dropped connection, with growing jittered waits', async () => {
    const { client, aws, sleeps } = clientAnswering(
      { status: 500, body: { __type: 'com.amazonaws.sqs#InternalError', message: 'oops' } },
      { status: 400, body: { __type: 'com.amazonaws.sqs#ThrottlingException' } },
    );
    await expect(client.call(new URL(queueUrl), 'SendMessage', input)).resolves.toMatchObject({ MessageId: expect.any(String) });
    expect(aws.requests).toHaveLength(3);
    expect(sleeps[0]).toBeLessThanOrEqual(200);
    expect(sleeps[1]).toBeLessThanOrEqual(400);

    const dropped = clientAnswering({ networkError: 'ECONNRESET' });
    await expect(dropped.client.call(new URL(queueUrl), 'SendMessage', input)).resolves.toBeDefined();
    expect(dropped.aws.requests).toHaveLength(2);
  });

  it('gives up after 3 attempts with the last error', async () => {
    const busy = { status: 503, body: { __type: 'ServiceUnavailable' } };
    const { client, aws } = clientAnswering(busy, busy, busy, busy);
    const error = await client.call(new URL(queueUrl), 'SendMessage', input).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ code: 'ServiceUnavailable', status: 503, retryable: true });
    expect(aws.requests).toHaveLength(3);
  });

  it('does not retry a client error, and names AWS’s code without quoting the request', async () => {
    const { client, aws } = clientAnswering({
      status: 400,
      headers: { 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' },
      body: { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' },
    });
    const error = (await client.call(new URL(queueUrl), 'SendMessage', input).catch((caught: unknown) => caught)) as AwsCallError;
    expect(error.message).toBe('SendMessage answered 400 AWS.SimpleQueueService.NonExistentQueue: The specified queue does not exist.');
    expect(error.message).not.toContain('evt_1');
    expect(error.retryable).toBe(false);
    expect(aws.requests).toHaveLength(1);
  });

  it('reads the code from __type when there is no query error header', async () => {
    const { client } = clientAnswering({ status: 400, body: { __type: 'com.amazon.coral.service#AccessDeniedException', Message: 'not allowed' } });
    await expect(client.call(new URL(queueUrl), 'SendMessage', input)).rejects.toMatchObject({ code: 'AccessDeniedException', message: expect.stringContaining('not allowed') });
  });

  it('does not retry a network failure that is not transient', async () => {
    const { client, aws } = clientAnswering({ networkError: 'ENOTFOUND' });
    await expect(client.call(new URL(queueUrl), 'SendMessage', input)).rejects.toMatchObject({ code: 'ENOTFOUND', retryable: false });
    expect(aws.requests).toHaveLength(1);
  });
});
