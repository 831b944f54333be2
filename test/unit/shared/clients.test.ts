import { createDynamoDbClient, createSecretsManagerClient, createSqsClient } from '../../../functions/shared/clients';

describe('the SDK clients', () => {
  const clients = { sqs: createSqsClient({ region: 'us-east-1' }), dynamodb: createDynamoDbClient({ region: 'us-east-1' }), secretsManager: createSecretsManagerClient({ region: 'us-east-1' }) };
  afterAll(() => Object.values(clients).forEach((client) => client.destroy()));

  it.each(Object.entries(clients))('%s has no logger middleware copying every request', (_name, client) => {
    const names = client.middlewareStack.identify();
    expect(names.length).toBeGreaterThan(5);
    expect(names.some((name) => name.startsWith('loggerMiddleware'))).toBe(false);
  });

  it.each(Object.entries(clients))('%s resolves each command’s middleware once', (_name, client) => {
    expect(client.config.cacheMiddleware).toBe(true);
  });
});
