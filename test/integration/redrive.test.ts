/**
 * Replay by redrive: the native move (SQS StartMessageMoveTask, on local-aws-sqs, which implements it),
 * the selective move with filters and dry run (on fauxqs), the fallback when the endpoint lacks the
 * native move, and --force reaching the worker.
 */
import type { Server } from 'node:http';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import { MESSAGE_ATTRIBUTE } from '../../functions/shared/message';
import { LOCAL_AWS } from '../../local/emulators';
import { sampleEvent } from '../../local/sample-events';
import { redrive } from '../../ops/redrive';
import { freshResources, receiveAll, testClients } from '../helpers/aws';
import { snapshotAttributes } from '../helpers/factories';
import { eventually } from '../helpers/local-stack';

async function deadLetter(sqs: SQSClient, deadLetterQueueUrl: string, type: 'invoice.paid' | 'payout.paid') {
  const event = sampleEvent(type);
  await sqs.send(new SendMessageCommand({ QueueUrl: deadLetterQueueUrl, MessageBody: JSON.stringify(event), MessageAttributes: snapshotAttributes(event) }));
  return event;
}

describe('redrive', () => {
  describe('native move (StartMessageMoveTask)', () => {
    let server: Server;
    let sqs: SQSClient;

    beforeAll(async () => {
      server = await createSqsServer({ port: 0, hostname: '127.0.0.1' });
      const { port } = server.address() as { port: number };
      sqs = new SQSClient({ endpoint: `http://127.0.0.1:${port}`, ...LOCAL_AWS });
    });
    afterAll(() => {
      sqs.destroy();
      server.close();
    });

    it('moves every dead letter back to the source queue and reports progress', async () => {
      const { QueueUrl: deadLetterQueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'native-dlq' }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }));
      const { QueueUrl: queueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: 'native-queue', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 5 }) } }),
      );
      const events = await Promise.all([deadLetter(sqs, deadLetterQueueUrl!, 'invoice.paid'), deadLetter(sqs, deadLetterQueueUrl!, 'payout.paid')]);
      const lines: string[] = [];

      const report = await redrive({ sqs, queueUrl: queueUrl!, deadLetterQueueUrl: deadLetterQueueUrl!, rate: 10, pollMs: 100, print: (line) => lines.push(line) });

      expect(report).toEqual({ method: 'native', moved: 2 });
      expect(lines[0]).toBe('Started SQS message move task at 10 messages/s.');
      expect(lines.at(-1)).toMatch(/COMPLETED: moved 2/);
      const moved = await receiveAll(sqs, queueUrl!);
      expect(moved.map((message) => message.MessageAttributes?.[MESSAGE_ATTRIBUTE.eventId]?.StringValue).sort()).toEqual(events.map((event) => event.id).sort());
      expect(await receiveAll(sqs, deadLetterQueueUrl!)).toHaveLength(0);
    });

    it('returns once the move task has started when not asked to wait (the console), and SQS moves on', async () => {
      const { QueueUrl: deadLetterQueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'native-dlq-nowait' }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }));
      const { QueueUrl: queueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: 'native-queue-nowait', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 5 }) } }),
      );
      const event = await deadLetter(sqs, deadLetterQueueUrl!, 'invoice.paid');

      const report = await redrive({ sqs, queueUrl: queueUrl!, deadLetterQueueUrl: deadLetterQueueUrl!, rate: 10, waitForNative: false });

      expect(report).toEqual({ method: 'native', moved: 0, started: true });
      const moved = await eventually(async () => {
        const messages = await receiveAll(sqs, queueUrl!);
        return messages.length > 0 ? messages : undefined;
      }, 10_000, 'the move task to move the dead letter');
      expect(moved.map((message) => message.MessageAttributes?.[MESSAGE_ATTRIBUTE.eventId]?.StringValue)).toEqual([event.id]);
    });
  });

  describe('on fauxqs, which has no native move', () => {
    const { sqs } = testClients();
    afterAll(() => sqs.destroy());

    it('falls back to a selective move of everything, and says so', async () => {
      const { queueUrl, deadLetterQueueUrl } = await freshResources();
      await deadLetter(sqs, deadLetterQueueUrl, 'invoice.paid');
      const lines: string[] = [];

      const report = await redrive({ sqs, queueUrl, deadLetterQueueUrl, print: (line) => lines.push(line) });

      expect(report).toMatchObject({ method: 'selective', moved: 1, fellBack: true });
      expect(lines[0]).toMatch(/no StartMessageMoveTask .* falling back to a selective move/);
      expect(await receiveAll(sqs, queueUrl)).toHaveLength(1);
    });

    it('moves only the messages of a type or an event id, leaving the rest in the DLQ', async () => {
      const { queueUrl, deadLetterQueueUrl } = await freshResources();
      const invoice = await deadLetter(sqs, deadLetterQueueUrl, 'invoice.paid');
      const payoutA = await deadLetter(sqs, deadLetterQueueUrl, 'payout.paid');
      const payoutB = await deadLetter(sqs, deadLetterQueueUrl, 'payout.paid');

      expect((await redrive({ sqs, queueUrl, deadLetterQueueUrl, type: 'invoice.paid' })).moved).toBe(1);
      expect((await redrive({ sqs, queueUrl, deadLetterQueueUrl, eventIds: [payoutB.id] })).moved).toBe(1);

      const moved = (await receiveAll(sqs, queueUrl)).map((message) => JSON.parse(message.Body!).id);
      expect(moved.sort()).toEqual([invoice.id, payoutB.id].sort());
      const left = (await receiveAll(sqs, deadLetterQueueUrl)).map((message) => JSON.parse(message.Body!).id);
      expect(left).toEqual([payoutA.id]);
    });

    it('lists without moving on a dry run', async () => {
      const { queueUrl, deadLetterQueueUrl } = await freshResources();
      const event = await deadLetter(sqs, deadLetterQueueUrl, 'payout.paid');
      const lines: string[] = [];

      const report = await redrive({ sqs, queueUrl, deadLetterQueueUrl, dryRun: true, print: (line) => lines.push(line) });

      expect(report.moved).toBe(0);
      expect(report.matched?.map((letter) => letter.eventId)).toEqual([event.id]);
      expect(lines).toContainEqual(expect.stringContaining(`would move payout.paid ${event.id}`));
      expect(await receiveAll(sqs, queueUrl)).toHaveLength(0);
      expect(await receiveAll(sqs, deadLetterQueueUrl)).toHaveLength(1);
    });

    it('marks messages moved with --force so the worker redoes completed events', async () => {
      const { queueUrl, deadLetterQueueUrl } = await freshResources();
      await deadLetter(sqs, deadLetterQueueUrl, 'payout.paid');
      await redrive({ sqs, queueUrl, deadLetterQueueUrl, force: true });
      const [message] = await receiveAll(sqs, queueUrl);
      expect(message!.MessageAttributes?.[MESSAGE_ATTRIBUTE.forceReprocess]?.StringValue).toBe('true');
      expect(message!.MessageAttributes?.[MESSAGE_ATTRIBUTE.eventType]?.StringValue).toBe('payout.paid');
    });
  });
});
