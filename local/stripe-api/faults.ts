/**
 * Injected faults: the next `times` requests that match answer with an error instead of reaching their
 * route, so a test can show how a client lives through Stripe's 429s, outages and revoked keys.
 */

export type FaultStatus = 401 | 404 | 429 | 500 | 502 | 503;
export const FAULT_STATUSES: readonly FaultStatus[] = [401, 404, 429, 500, 502, 503];

export interface Fault {
  /** Any method when absent; compared without regard to case. */
  readonly method?: string;
  /** Tested against the path without its query; any path when absent. */
  readonly path?: RegExp;
  readonly status: FaultStatus;
  /** How many matching requests get this answer. */
  readonly times: number;
  /** Sent as `Retry-After` with a 429. @default 1 */
  readonly retryAfterSeconds?: number;
}

/** The faults still armed, oldest first: a request takes one from the first that matches. */
export class FaultBook {
  private faults: { fault: Fault; left: number }[] = [];

  inject(fault: Fault): void {
    if (!Number.isInteger(fault.times) || fault.times < 1) throw new RangeError(`A fault's times must be a whole number from 1, got ${fault.times}`);
    if (!FAULT_STATUSES.includes(fault.status)) throw new RangeError(`A fault's status must be one of ${FAULT_STATUSES.join(', ')}, got ${fault.status}`);
    this.faults.push({ fault, left: fault.times });
  }

  /** Disarms every fault; answers how many were still armed. */
  clear(): number {
    const armed = this.faults.length;
    this.faults = [];
    return armed;
  }

  /** The fault this request meets, counted as used; undefined when none matches. */
  take(method: string, path: string): Fault | undefined {
    const armed = this.faults.find(({ fault }) => (fault.method === undefined || fault.method.toUpperCase() === method) && matchesPath(fault.path, path));
    if (!armed) return undefined;
    armed.left -= 1;
    if (armed.left === 0) this.faults = this.faults.filter((entry) => entry !== armed);
    return armed.fault;
  }
}

function matchesPath(pattern: RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  // A /g or /y pattern remembers where it last matched; every request is tested afresh.
  pattern.lastIndex = 0;
  return pattern.test(path);
}
