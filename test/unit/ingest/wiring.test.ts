import { SQSClient } from '@aws-sdk/client-sqs';
import { wireIngest } from '../../../functions/ingest/wiring';
import { loadIngestConfig } from '../../../functions/shared/config';
import { ConfigError } from '../../../functions/shared/errors';
import { recordingCount, recordingLog } from '../../helpers/recorders';

describe('wireIngest', () => {
  it('refuses, at assembly, a Secrets Manager source without a Secrets Manager client', () => {
    const config = loadIngestConfig({ QUEUE_URL: 'https://sqs/queue', STRIPE_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:s' });
    const sqs = new SQSClient({ region: 'us-east-1' });
    expect(() => wireIngest({ config, sqs, log: recordingLog(), count: recordingCount() })).toThrow(ConfigError);
    sqs.destroy();
  });
});
