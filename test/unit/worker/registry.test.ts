import { createRegistry } from '../../../functions/worker/registry';

describe('createRegistry', () => {
  it('finds a handler by event type and lists the types', () => {
    const handler = () => ({ writes: [] });
    const registry = createRegistry({ 'invoice.paid': handler });
    expect(registry.find('invoice.paid')).toBe(handler);
    expect(registry.types).toEqual(['invoice.paid']);
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
