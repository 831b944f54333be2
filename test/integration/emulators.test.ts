import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../../functions/shared/clients';
import { LOCAL_AWS, startDynamoDbLocal } from '../../local/emulators';
import { createPipelineResources } from '../../local/create-resources';
import { testClients } from '../helpers/aws';

describe('DynamoDB Local with a data directory (DATA_DIR)', () => {
  it('keeps tables and items across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ddb-'));
    const { sqs } = testClients();
    try {
      const first = await startDynamoDbLocal({ dataDir });
      const db = createDynamoDbClient({ endpoint: first.endpoint, ...LOCAL_AWS });
      const { ledgerTableName } = await createPipelineResources(sqs, db, { stage: 'persist' });
      await db.send(new PutItemCommand({ TableName: ledgerTableName, Item: { eventId: { S: 'evt_kept' }, status: { S: 'completed' } } }));
      db.destroy();
      await first.stop();

      const second = await startDynamoDbLocal({ dataDir });
      const again = createDynamoDbClient({ endpoint: second.endpoint, ...LOCAL_AWS });
      // Creating the resources again finds the existing tables instead of failing.
      await createPipelineResources(sqs, again, { stage: 'persist' });
      const { Item } = await again.send(new GetItemCommand({ TableName: ledgerTableName, Key: { eventId: { S: 'evt_kept' } } }));
      expect(Item?.status?.S).toBe('completed');
      again.destroy();
      await second.stop();
    } finally {
      sqs.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
