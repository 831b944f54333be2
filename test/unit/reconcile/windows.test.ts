import { DEFAULT_WINDOW_SETTINGS, STRIPE_EVENT_RETENTION_SECONDS, requestedWindow, scheduledWindow } from '../../../functions/reconcile/windows';
import { MAX_TYPES_PER_REQUEST, typeGroups } from '../../../functions/reconcile/reconcile';
import { backfillJobKey } from '../../../functions/reconcile/jobs';
import { parseTime } from '../../../ops/backfill';

const NOW = 1_800_000_000;

describe('scheduledWindow', () => {
  it('starts the first scan one lookback before the settled edge, minus the overlap', () => {
    expect(scheduledWindow(undefined, NOW, DEFAULT_WINDOW_SETTINGS)).toEqual({ scope: { from: NOW - 600 - 3600 - 300, to: NOW - 600 } });
  });

  it('starts each later scan at the checkpoint minus the overlap, with the types given', () => {
    expect(scheduledWindow(NOW - 1500, NOW, DEFAULT_WINDOW_SETTINGS, { types: ['invoice.paid'] })).toEqual({ scope: { from: NOW - 1800, to: NOW - 600, types: ['invoice.paid'] } });
  });

  it('cuts a checkpoint older than Stripe keeps events, and says where it was', () => {
    const old = NOW - 40 * 86_400;
    const planned = scheduledWindow(old, NOW, DEFAULT_WINDOW_SETTINGS)!;
    expect(planned.scope.from).toBe(NOW - STRIPE_EVENT_RETENTION_SECONDS + 3600);
    expect(planned.beyondRetentionFrom).toBe(old - 300);
  });
});

describe('requestedWindow', () => {
  it('never reaches into the settling window, even with a later --until', () => {
    expect(requestedWindow(NOW - 7200, NOW, NOW, 600)!.scope).toEqual({ from: NOW - 7200, to: NOW - 600 });
  });

  it('has nothing to list when the whole window is still settling', () => {
    expect(requestedWindow(NOW - 60, undefined, NOW, 600)).toBeUndefined();
  });

  it('keeps the filters', () => {
    expect(requestedWindow(NOW - 7200, undefined, NOW, 0, { types: ['a.b'], undeliveredOnly: true })!.scope).toEqual({ from: NOW - 7200, to: NOW, types: ['a.b'], undeliveredOnly: true });
  });
});

describe('typeGroups', () => {
  it('splits types into the groups of 20 Stripe accepts per request', () => {
    const types = Array.from({ length: 45 }, (_, index) => `t.${index}`);
    expect(typeGroups(types).map((group) => group!.length)).toEqual([MAX_TYPES_PER_REQUEST, MAX_TYPES_PER_REQUEST, 5]);
    expect(typeGroups(undefined)).toEqual([undefined]);
  });
});

describe('backfillJobKey', () => {
  it('is the same for the same filters in any order, and differs by filter', () => {
    expect(backfillJobKey({ types: ['b.x', 'a.x'] })).toBe(backfillJobKey({ types: ['a.x', 'b.x'] }));
    expect(backfillJobKey({ types: ['a.x'], undeliveredOnly: true })).not.toBe(backfillJobKey({ types: ['a.x'] }));
  });
});

describe('parseTime', () => {
  it('reads durations before now and ISO times', () => {
    expect(parseTime('72h', NOW * 1000)).toBe(NOW - 72 * 3600);
    expect(parseTime('90s', NOW * 1000)).toBe(NOW - 90);
    expect(parseTime('2026-11-20T09:00:00Z', NOW * 1000)).toBe(Date.parse('2026-11-20T09:00:00Z') / 1000);
  });

  it.each(['yesterday', '72', '7', 'May', '-3h', ''])('refuses %j with how to write a time', (value) => {
    expect(() => parseTime(value, NOW * 1000)).toThrow(/use a duration before now/);
  });
});
