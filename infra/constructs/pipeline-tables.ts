import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption, type Attribute } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { LEDGER_TABLE, PROJECTIONS_TABLE, STATE_TABLE, resourceName, type IndexDefinition, type KeyAttribute, type TableDefinition } from '../../functions/shared/resources';

/**
 * The event ledger, the projections and the pipeline's state (reconcile checkpoints), from the shared
 * definitions. On demand, point-in-time
 * recovery, encrypted with a KMS key (AWS managed), TTL and indexes where defined (the ledger's sparse
 * dead-letter index, and those that list events by hour, failure and object), and retained when the stack is deleted: the ledger is what makes "exactly once" true, and losing it would let events run twice.
 */
export class PipelineTables extends Construct {
  public readonly ledger: Table;
  public readonly projections: Table;
  public readonly state: Table;

  constructor(scope: Construct, id: string, props: { readonly stage: string; /** The first this many of the ledger's indexes. */ readonly ledgerIndexes: number }) {
    super(scope, id);
    this.ledger = this.table('Ledger', props.stage, { ...LEDGER_TABLE, indexes: LEDGER_TABLE.indexes?.slice(0, props.ledgerIndexes) });
    this.projections = this.table('Projections', props.stage, PROJECTIONS_TABLE);
    this.state = this.table('State', props.stage, STATE_TABLE);
  }

  private table(id: string, stage: string, definition: TableDefinition): Table {
    const table = new Table(this, id, {
      tableName: resourceName(stage, definition),
      partitionKey: key(definition.partitionKey),
      ...(definition.sortKey ? { sortKey: key(definition.sortKey) } : {}),
      ...(definition.ttlAttribute ? { timeToLiveAttribute: definition.ttlAttribute } : {}),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of definition.indexes ?? []) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: key(index.partitionKey),
        ...(index.sortKey ? { sortKey: key(index.sortKey) } : {}),
        ...projection(index),
      });
    }
    return table;
  }
}

function projection(index: IndexDefinition): { projectionType: ProjectionType; nonKeyAttributes?: string[] } {
  const attributes = index.projection ?? 'ALL';
  if (attributes === 'ALL') return { projectionType: ProjectionType.ALL };
  if (attributes === 'KEYS_ONLY') return { projectionType: ProjectionType.KEYS_ONLY };
  return { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...attributes] };
}

function key(attribute: KeyAttribute): Attribute {
  return { name: attribute.name, type: attribute.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}
