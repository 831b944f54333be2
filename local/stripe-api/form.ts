/**
 * Stripe's parameter encoding, read back: the same bracket syntax in a query string and in a
 * form-encoded body. stripe-node writes arrays with indexes (`types[0]=a&types[1]=b`); curl users and
 * other clients write `types[]=a&types[]=b`. Both are read.
 */

export type FormValue = string | readonly FormValue[] | FormHash;
export interface FormHash {
  readonly [key: string]: FormValue;
}

/** The decoded `key=value` pairs of a query string or form body, in order. */
function formPairs(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of text.split('&')) {
    if (part === '') continue;
    const at = part.indexOf('=');
    const [key, value] = at === -1 ? [part, ''] : [part.slice(0, at), part.slice(at + 1)];
    pairs.push([decode(key), decode(value)]);
  }
  return pairs;
}

/**
 * Nested parameters, as Stripe reads them.
 *
 * @example
 * parseForm('enabled_events[0]=a&enabled_events[1]=b&metadata[stage]=dev&description=x');
 * // { enabled_events: ['a', 'b'], metadata: { stage: 'dev' }, description: 'x' }
 */
export function parseForm(text: string): FormHash {
  const root = newDraft(false);
  for (const [key, value] of formPairs(text)) assign(root, keyPath(key), value);
  return finish(root) as FormHash;
}

/**
 * A flat view for the request log: `{ 'created[gte]': '1', types: ['a', 'b'] }`. Only a trailing `[]`
 * or `[N]` makes an array, so the log never has to say whether `metadata[0]` was a list or a key.
 */
export function flatQuery(text: string): Record<string, string | string[]> {
  const flat: Record<string, string | string[]> = {};
  for (const [key, value] of formPairs(text)) {
    const base = /^(.+)\[\d*\]$/.exec(key)?.[1];
    const name = base ?? key;
    const existing = Object.hasOwn(flat, name) ? flat[name] : undefined;
    if (existing === undefined) flat[name] = base === undefined ? value : [value];
    else flat[name] = [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return flat;
}

function decode(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // A stray `%` is kept as sent rather than failing the whole request.
    return spaced;
  }
}

/** `a[b][0]` → ['a', 'b', '0']; a key whose brackets do not close is one plain name. */
function keyPath(key: string): string[] {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!match) return [key];
  const segments = [...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((segment) => segment[1]!);
  return [match[1]!, ...segments];
}

/** A container being filled in: a list while every key addressing it is an index or `[]`. */
interface Draft {
  list: boolean;
  next: number;
  readonly children: Map<string, Draft | string>;
}

const newDraft = (list: boolean): Draft => ({ list, next: 0, children: new Map() });
const isIndex = (segment: string) => segment === '' || /^\d{1,4}$/.test(segment);

function assign(draft: Draft, path: string[], value: string): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (draft.list && !isIndex(head)) draft.list = false;
  let key = head;
  if (head === '') key = String(draft.next++);
  else if (/^\d+$/.test(head)) draft.next = Math.max(draft.next, Number(head) + 1);
  if (rest.length === 0) {
    draft.children.set(key, value);
    return;
  }
  let child = draft.children.get(key);
  if (child === undefined || typeof child === 'string') {
    child = newDraft(isIndex(rest[0]!));
    draft.children.set(key, child);
  }
  assign(child, rest, value);
}

function finish(draft: Draft): FormValue {
  const entries = [...draft.children].map(([key, child]) => [key, typeof child === 'string' ? child : finish(child)] as const);
  if (draft.list) return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, child]) => child);
  // fromEntries defines own properties, so a key such as `__proto__` stays a plain key.
  return Object.fromEntries(entries);
}
