/** charge.dispute.created / closed: the dispute record; an opened dispute is an alert. */
import { projectionKeys } from '../../shared/projection-keys';
import { idOf, stateVersion, stateWrite, type Effects } from '../effects';
import type { EventOf, HandlerMap } from '../registry';

const RANK = { created: 10, closed: 30 } as const;

type DisputeEvent = EventOf<'charge.dispute.created'> | EventOf<'charge.dispute.closed'>;

function disputeRecord(event: DisputeEvent, rank: number) {
  const dispute = event.data.object;
  return stateWrite(projectionKeys.dispute(dispute.id), stateVersion(event, rank), {
    disputeId: dispute.id,
    status: dispute.status,
    amount: dispute.amount,
    currency: dispute.currency,
    reason: dispute.reason,
    chargeId: idOf(dispute.charge),
    paymentIntentId: idOf(dispute.payment_intent),
    evidenceDueBy: dispute.evidence_details?.due_by ?? null,
  });
}

function onCreated(event: EventOf<'charge.dispute.created'>): Effects {
  const dispute = event.data.object;
  return {
    writes: [disputeRecord(event, RANK.created)],
    logs: [
      {
        level: 'warn',
        message: 'ALERT: a dispute was opened; submit evidence before the due date',
        attributes: { alert: 'dispute_opened', disputeId: dispute.id, amount: dispute.amount, currency: dispute.currency, reason: dispute.reason, evidenceDueBy: dispute.evidence_details?.due_by },
      },
    ],
  };
}

function onClosed(event: EventOf<'charge.dispute.closed'>): Effects {
  const dispute = event.data.object;
  return {
    writes: [disputeRecord(event, RANK.closed)],
    logs: [{ level: 'info', message: 'Dispute closed', attributes: { disputeId: dispute.id, status: dispute.status } }],
  };
}

export const disputeHandlers = {
  'charge.dispute.created': onCreated,
  'charge.dispute.closed': onClosed,
} satisfies HandlerMap;
