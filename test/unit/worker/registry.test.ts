import { createRegistry } from '../../../functions/worker/registry';

describe('createRegistry', () => {
  it('finds a handler by event type and lists the types', () => {
    const handler = () => ({ writes: [] });
    const registry = createRegistry({ 'invoice.paid': handler });
    expect(registry.find('invoice.paid')?.handle).toBe(handler);
    expect(registry.find('invoice.paid')?.currentObject).toBeUndefined();
    expect(registry.types).toEqual(['invoice.paid']);
  });

  it('keeps a handler\'s request for the current object', () => {
    const handle = () => ({ writes: [] });
    const currentObject = () => ({ url: '/v1/subscriptions/sub_1' });
    const registry = createRegistry({ 'customer.subscription.updated': { handle, currentObject } });
    expect(registry.find('customer.subscription.updated')).toEqual({ handle, currentObject });
  });

  it('takes thin-only types (v1.*, v2.*) beside snapshot types, and lists them apart for endpoints and the Events API', () => {
    const handler = () => ({ writes: [] });
    const registry = createRegistry({ 'invoice.paid': handler, 'v1.billing.meter.error_report_triggered': handler, 'v2.core.account.updated': handler });
    expect(registry.types).toEqual(['invoice.paid', 'v1.billing.meter.error_report_triggered', 'v2.core.account.updated']);
    expect(registry.snapshotTypes).toEqual(['invoice.paid']);
  });

  it('finds nothing for an unhandled type, including names that exist on Object.prototype', () => {
    const registry = createRegistry({});
    expect(registry.find('customer.created')).toBeUndefined();
    expect(registry.find('constructor')).toBeUndefined();
    expect(registry.find('__proto__')).toBeUndefined();
  });

  it('refuses two handlers for one type', () => {
    const handler = () => ({ writes: [] });
    expect(() => createRegistry({ 'invoice.paid': handler }, { 'invoice.paid': handler })).toThrow(/Two handlers/);
  });
});
