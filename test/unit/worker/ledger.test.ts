import { snapshotEnvelope, thinEnvelope } from '../../../functions/shared/envelope';
import { ledgerEventOf } from '../../../functions/worker/ledger';
import { readMessage } from '../../../functions/worker/read-message';
import { eventBridgeEventFor } from '../../../local/eventbridge-event';
import { sampleEvent } from '../../../local/sample-events';
import { sampleMeterErrorReport, thinNotificationFor } from '../../../local/sample-thin-events';
import { sqsRecord } from '../../helpers/factories';

describe('ledgerEventOf', () => {
  const webhook = { source: 'webhook' } as const;

  describe('the object the event is about (the by-object index key)', () => {
    it("is a snapshot event's data.object.id", () => {
      const event = sampleEvent('payment_intent.succeeded');
      expect(ledgerEventOf(snapshotEnvelope(event, webhook)).objectId).toBe(event.data.object.id);
    });

    it("is a thin notification's related_object.id, the same object its snapshot names", () => {
      const event = sampleEvent('customer.subscription.updated');
      const notification = thinNotificationFor(event);
      expect(notification.related_object?.id).toBe(event.data.object.id);
      expect(ledgerEventOf(thinEnvelope(notification, webhook)).objectId).toBe(event.data.object.id);
    });

    it('is the related object of a thin-only event', () => {
      const { notification } = sampleMeterErrorReport();
      expect(ledgerEventOf(thinEnvelope(notification, webhook)).objectId).toMatch(/^mtr_test_/);
    });

    it('is read the same from an EventBridge event, snapshot or thin', () => {
      const event = sampleEvent('invoice.paid');
      const fromSnapshot = readMessage(sqsRecord(JSON.stringify(eventBridgeEventFor(event))));
      const fromThin = readMessage(sqsRecord(JSON.stringify(eventBridgeEventFor(thinNotificationFor(event)))));
      expect([fromSnapshot.source, fromThin.source]).toEqual(['eventbridge', 'eventbridge']);
      expect(ledgerEventOf(fromSnapshot).objectId).toBe(event.data.object.id);
      expect(ledgerEventOf(fromThin).objectId).toBe(event.data.object.id);
    });

    it.each([
      ['a snapshot whose object has no id (a balance)', () => snapshotEnvelope(sampleEvent('balance.available'), webhook)],
      ['a snapshot whose object id is empty', () => snapshotEnvelope(sampleEvent('payout.paid', { object: { id: '' } }), webhook)],
      ['a thin notification without a related object', () => thinEnvelope({ ...sampleMeterErrorReport().notification, related_object: undefined }, webhook)],
      ['a thin notification whose related object is null', () => thinEnvelope({ ...sampleMeterErrorReport().notification, related_object: null as never }, webhook)],
    ])('is absent for %s', (_, envelope) => {
      const event = ledgerEventOf(envelope());
      expect(event).not.toHaveProperty('objectId');
    });
  });

  it('carries the receive count of the message, when there is one', () => {
    const envelope = snapshotEnvelope(sampleEvent('payout.paid'), webhook);
    expect(ledgerEventOf(envelope, 1).receiveCount).toBe(1);
    expect(ledgerEventOf(envelope, 3).receiveCount).toBe(3);
    expect(ledgerEventOf(envelope)).not.toHaveProperty('receiveCount');
  });
});
