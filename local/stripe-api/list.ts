/**
 * Stripe's list pages and cursor pagination, for any list in newest-first order.
 *
 * A cursor is an object's id and marks a position in the whole list, filters aside, as at Stripe:
 * `starting_after=X` gives the `limit` matching items after X; `ending_before=X` gives the `limit`
 * matching items just before X, still in list order, and `has_more` then says whether more come
 * before those. stripe-node's auto-pagination relies on exactly this.
 */
import { invalidParam, resourceMissing } from './errors';
import type { FormHash } from './form';
import { integer, optionalString } from './params';

export interface ListPage<T> {
  readonly object: 'list';
  readonly data: readonly T[];
  readonly has_more: boolean;
  readonly url: string;
}

export interface PageParams {
  readonly limit: number;
  readonly startingAfter?: string;
  readonly endingBefore?: string;
}

/** The parameters every list takes. */
export const PAGE_PARAMS = ['limit', 'starting_after', 'ending_before'] as const;

const DEFAULT_LIMIT = 10;

export function pageParams(params: FormHash): PageParams {
  const limit = params.limit === undefined ? DEFAULT_LIMIT : integer(params.limit, 'limit');
  if (limit < 1 || limit > 100) throw invalidParam('limit', 'Invalid limit: must be between 1 and 100');
  const startingAfter = optionalString(params, 'starting_after') || undefined;
  const endingBefore = optionalString(params, 'ending_before') || undefined;
  if (startingAfter && endingBefore) {
    throw invalidParam('ending_before', 'You may only specify one of these parameters: ending_before, starting_after.');
  }
  return { limit, ...(startingAfter ? { startingAfter } : {}), ...(endingBefore ? { endingBefore } : {}) };
}

/**
 * One page of `all` (already in list order), keeping only the items `keep` accepts.
 *
 * @param noun names the objects in the error for an unknown cursor: `No such event: 'evt_x'`.
 */
export function paginate<T extends { readonly id: string }>(
  all: readonly T[],
  keep: (item: T) => boolean,
  page: PageParams,
  url: string,
  noun: string,
): ListPage<T> {
  const cursorAt = (id: string, param: string) => {
    const index = all.findIndex((item) => item.id === id);
    if (index === -1) throw resourceMissing(noun, id, param);
    return index;
  };

  if (page.endingBefore !== undefined) {
    const before = all.slice(0, cursorAt(page.endingBefore, 'ending_before')).filter(keep);
    const data = before.slice(Math.max(0, before.length - page.limit));
    return { object: 'list', data, has_more: before.length > data.length, url };
  }
  const start = page.startingAfter === undefined ? 0 : cursorAt(page.startingAfter, 'starting_after') + 1;
  const data: T[] = [];
  let hasMore = false;
  for (let index = start; index < all.length; index++) {
    if (!keep(all[index]!)) continue;
    if (data.length === page.limit) {
      hasMore = true;
      break;
    }
    data.push(all[index]!);
  }
  return { object: 'list', data, has_more: hasMore, url };
}
