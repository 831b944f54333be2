import { wireIngest } from '../../../functions/ingest/wiring';
import { loadIngestConfig } from '../../../functions/shared/config';
import { scriptedAws, sendMessageAnswer } from '../../helpers/aws-answers';
import { TEST_SECRET, signedHttpApiEvent } from '../../helpers/factories';
import { recordingCount, recordingLog } from '../../helpers/recorders';
import { sampleEvent } from '../../../local/sample-events';

describe('wireIngest', () => {
  const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' };

  it('reads the signing secrets from Secrets Manager, then sends to the queue’s own host', async () => {
    const config = loadIngestConfig({
      QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/events',
      STRIPE_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing',
      AWS_REGION: 'eu-west-1',
    });
    const aws = scriptedAws((request) => (request.target === 'secretsmanager.GetSecretValue' ? { body: { SecretString: TEST_SECRET } } : sendMessageAnswer(request)));
    const ingest = wireIngest({ config, credentials, requestHandler: aws, log: recordingLog(), count: recordingCount() });

    const response = await ingest(signedHttpApiEvent(sampleEvent('payment_intent.succeeded')));

    expect(response.statusCode).toBe(200);
    expect(aws.requests.map(({ target, url, headers }) => [target, url, headers['content-type']])).toEqual([
      ['secretsmanager.GetSecretValue', 'https://secretsmanager.eu-west-1.amazonaws.com/', 'application/x-amz-json-1.1'],
      ['AmazonSQS.SendMessage', 'https://sqs.eu-west-1.amazonaws.com/', 'application/x-amz-json-1.0'],
    ]);
    expect(aws.requests[0]!.input).toEqual({ SecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing' });
  });

  it('sends to the endpoint override instead, as for an emulator', async () => {
    const config = loadIngestConfig({ QUEUE_URL: 'http://sqs.local/000000000000/q', STRIPE_WEBHOOK_SECRET: TEST_SECRET, AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324' });
    const aws = scriptedAws(sendMessageAnswer);
    const ingest = wireIngest({ config, credentials, requestHandler: aws, log: recordingLog(), count: recordingCount() });
    expect((await ingest(signedHttpApiEvent(sampleEvent('payment_intent.succeeded')))).statusCode).toBe(200);
    expect(aws.requests[0]!.url).toBe('http://127.0.0.1:9324/');
  });
});
