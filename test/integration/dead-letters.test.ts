/**
 * The ops library's dead letters against the emulators: the listing reads the ledger and never
 * receives a message, and the selective move packs sends by size and leaves nothing hidden.
 */
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type Stripe from 'stripe';
import { DynamoLedger } from '../../functions/worker/dynamo-ledger';
import { listDeadLetters, moveDeadLetters } from '../../ops/dead-letters';
import type { PipelineResources } from '../../ops/stage';
import { sampleEvent } from '../../local/sample-events';
import { freshResources, receiveAll, testClients } from '../helpers/aws';
import { snapshotAttributes } from '../helpers/factories';

describe('dead letters', () => {
  const { sqs, db } = testClients();
  let resources: PipelineResources;
  let ledger: DynamoLedger;

  beforeEach(async () => {
    resources = await freshResources();
    ledger = new DynamoLedger(db, { ...resources, retentionDays: 90 });
  });
  afterAll(() => {
    sqs.destroy();
    db.destroy();
  });

  /** An event whose message the worker sent to the dead-letter queue: the message there, the note in the ledger. */
  async function deadLettered(event: Stripe.Event = sampleEvent('invoice.paid')): Promise<Stripe.Event> {
    await sqs.send(new SendMessageCommand({ QueueUrl: resources.deadLetterQueueUrl, MessageBody: JSON.stringify(event), MessageAttributes: snapshotAttributes(event) }));
    await ledger.markDeadLettered({ id: event.id, type: event.type, created: event.created, livemode: false, source: 'webhook' }, 5, Date.now());
    return event;
  }

  describe('listDeadLetters', () => {
    it('lists from the ledger: three listings leave every receive count as it was', async () => {
      const events = [await deadLettered(), await deadLettered(), await deadLettered(sampleEvent('payout.paid'))];

      for (let listing = 0; listing < 3; listing++) {
        const { letters, queued } = await listDeadLetters({ db, sqs }, resources);
        expect(letters.map((letter) => letter.id).sort()).toEqual(events.map((event) => event.id).sort());
        expect(queued).toBe(3);
      }

      const messages = await receiveAll(sqs, resources.deadLetterQueueUrl);
      expect(messages.map((message) => message.Attributes?.ApproximateReceiveCount)).toEqual(['1', '1', '1']);
    });

    it('says what the ledger knows of each: type, status, receives, when', async () => {
      const event = await deadLettered();
      const { letters } = await listDeadLetters({ db, sqs }, resources);
      expect(letters).toEqual([expect.objectContaining({ id: event.id, type: 'invoice.paid', status: 'failed', receiveCount: 5, deadLetteredAt: expect.any(String) })]);
    });

    it('counts a message the ledger could not note (not an event) in the queue, apart from the list', async () => {
      await sqs.send(new SendMessageCommand({ QueueUrl: resources.deadLetterQueueUrl, MessageBody: 'not an event' }));
      expect(await listDeadLetters({ db, sqs }, resources)).toEqual({ letters: [], queued: 1 });
    });

    it('leaves out notes older than the queue keeps messages', async () => {
      await deadLettered();
      const fifteenDaysOn = Date.now() + 15 * 86_400_000;
      expect((await listDeadLetters({ db, sqs }, resources, { now: fifteenDaysOn })).letters).toEqual([]);
    });
  });

  describe('moveDeadLetters', () => {
    const move = (options: Partial<Parameters<typeof moveDeadLetters>[1]> = {}) =>
      moveDeadLetters(sqs, { from: resources.deadLetterQueueUrl, to: resources.queueUrl, ...options });

    it('moves everything when listings run during the redrive', async () => {
      const events = await Promise.all(Array.from({ length: 12 }, () => deadLettered()));

      const [, result] = await Promise.all([listDeadLetters({ db, sqs }, resources), move(), listDeadLetters({ db, sqs }, resources)]);

      expect(result.moved).toBe(12);
      expect(await receiveAll(sqs, resources.deadLetterQueueUrl)).toHaveLength(0);
      expect((await receiveAll(sqs, resources.queueUrl)).map((message) => JSON.parse(message.Body!).id).sort()).toEqual(events.map((event) => event.id).sort());
    });

    it('redrives three events of about 400 KB by id, in sends that fit SQS’s 1 MiB per batch', async () => {
      const big = () => sampleEvent('payout.paid', { object: { metadata: { statement: 'x'.repeat(400_000) } } });
      const events = [await deadLettered(big()), await deadLettered(big()), await deadLettered(big())];
      const bodies = new Map(events.map((event) => [event.id, JSON.stringify(event)]));

      const result = await move({ filter: { eventIds: events.map((event) => event.id) } });

      expect(result).toMatchObject({ moved: 3, failed: [], notFound: [] });
      const moved = await receiveAll(sqs, resources.queueUrl);
      expect(moved).toHaveLength(3);
      for (const message of moved) expect(message.Body).toBe(bodies.get(JSON.parse(message.Body!).id));
      expect(await receiveAll(sqs, resources.deadLetterQueueUrl)).toHaveLength(0);
    });

    it('selects an Amazon EventBridge delivery (no attributes) by the Stripe event inside it, and moves it unchanged', async () => {
      const event = sampleEvent('charge.refunded');
      const body = JSON.stringify({ version: '0', id: 'eb-1', 'detail-type': event.type, source: 'aws.partner/stripe.com/ed_test_1', time: new Date().toISOString(), detail: event });
      await sqs.send(new SendMessageCommand({ QueueUrl: resources.deadLetterQueueUrl, MessageBody: body }));

      expect(await move({ filter: { type: 'charge.refunded' }, dryRun: true })).toMatchObject({ matched: [expect.objectContaining({ eventId: event.id, type: 'charge.refunded' })] });
      expect(await move({ filter: { eventIds: [event.id] } })).toMatchObject({ moved: 1, notFound: [] });
      expect((await receiveAll(sqs, resources.queueUrl)).map((message) => message.Body)).toEqual([body]);
    });

    it('reports a message SQS refuses, and leaves it in the dead-letter queue visible at once', async () => {
      // A target that takes nothing over 2 KB refuses the large event and takes the small one.
      const { QueueUrl: smallQueue } = await sqs.send(new CreateQueueCommand({ QueueName: `${resources.ledgerTableName}-small`, Attributes: { MaximumMessageSize: '2048' } }));
      const small = await deadLettered(sampleEvent('invoice.paid'));
      const large = await deadLettered(sampleEvent('payout.paid', { object: { metadata: { statement: 'x'.repeat(5_000) } } }));

      const result = await moveDeadLetters(sqs, { from: resources.deadLetterQueueUrl, to: smallQueue!, holdSeconds: 300 });

      expect(result.moved).toBe(1);
      expect(result.failed).toEqual([{ eventId: large.id, reason: expect.stringMatching(/shorter than/) }]);
      expect((await receiveAll(sqs, smallQueue!)).map((message) => JSON.parse(message.Body!).id)).toEqual([small.id]);
      // Held for 300 s by the move, yet visible again at once.
      expect((await receiveAll(sqs, resources.deadLetterQueueUrl)).map((message) => JSON.parse(message.Body!).id)).toEqual([large.id]);
    });

    it('names the event ids asked for that no dead letter carries', async () => {
      const event = await deadLettered();
      expect(await move({ filter: { eventIds: [event.id, 'evt_not_dead'] } })).toMatchObject({ moved: 1, notFound: ['evt_not_dead'] });
    });
  });
});
