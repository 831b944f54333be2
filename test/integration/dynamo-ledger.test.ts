/**
 * The DynamoDB ledger against DynamoDB Local: its condition expressions do exactly what the pure rules
 * say (every cell of the table in helpers/ledger-cases.ts), and its lease is safe under the faults
 * that the rules exist for.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createDynamoDbClient } from '../../functions/shared/clients';
import { DynamoLedger } from '../../functions/worker/dynamo-ledger';
import type { LedgerEvent, LedgerRecord } from '../../functions/worker/ledger';
import type { DirectClaim, HolderClaim, LeaseClaim } from '../../functions/worker/ledger-rules';
import { LOCAL_AWS } from '../../local/emulators';
import { emulatorEndpoints, freshResources, getItem } from '../helpers/aws';
import { NOW, WRITES, cells } from '../helpers/ledger-cases';

describe('DynamoLedger', () => {
  const db = createDynamoDbClient({ endpoint: emulatorEndpoints().dynamodb, ...LOCAL_AWS });
  let ledgerTableName: string;
  let ledger: DynamoLedger;

  beforeAll(async () => {
    const resources = await freshResources();
    ledgerTableName = resources.ledgerTableName;
    ledger = new DynamoLedger(db, { ...resources, retentionDays: 90 });
  });
  afterAll(() => db.destroy());

  let sequence = 0;
  const eventOf = (): LedgerEvent => ({ id: `evt_rules${++sequence}`, type: 'payout.paid', created: 1_760_000_000, livemode: false, source: 'webhook' });

  describe('agrees with the pure rules on every cell of the table', () => {
    it.each(cells().map((cell) => [cell.expected ? 'applies' : 'refuses', cell.write, cell.state, cell]))('%s "%s" from %s', async (_, __, ___, cell) => {
      const event = eventOf();
      const before = '2000-01-01T00:00:00.000Z';
      if (cell.record) {
        await db.send(new PutItemCommand({ TableName: ledgerTableName, Item: marshall({ eventId: event.id, type: event.type, attempts: 1, updatedAt: before, ...cell.record }) }));
      }
      const { kind, claim } = WRITES[cell.write]!;

      // Refusals surface as outcomes or errors; what counts here is whether the item was written.
      const write = async (): Promise<unknown> => {
        if (kind === 'finish') return ledger.commit(event, [], claim as DirectClaim | HolderClaim, NOW);
        if (kind === 'lease') return ledger.acquireLease(event, claim as LeaseClaim, 60_000, NOW);
        return ledger.recordFailure(event, 'Error: boom', claim, NOW);
      };
      await write().catch(() => undefined);

      const written = (await getItem<LedgerRecord>(db, ledgerTableName, { eventId: event.id }))?.updatedAt === new Date(NOW).toISOString();
      expect(written).toBe(cell.expected);
    });
  });
});
