/**
 * A read rate limit like Stripe's: at most N reads (GETs) in any one-second window, the rest answered
 * 429. It runs on the stand-in's clock, so a test with a fixed clock controls when the window moves.
 */

export class ReadLimiter {
  /** Times (epoch ms) of the reads let through in the last second, oldest first. */
  private readonly recent: number[] = [];

  constructor(
    private readonly readsPerSecond: number,
    private readonly now: () => number,
  ) {
    if (!(readsPerSecond > 0)) throw new RangeError(`readsPerSecond must be above 0, got ${readsPerSecond}`);
  }

  /** Undefined when the read may go ahead (and counts it); else the seconds to wait, for `Retry-After`. */
  admit(): number | undefined {
    const now = this.now();
    while (this.recent.length > 0 && this.recent[0]! <= now - 1000) this.recent.shift();
    if (this.recent.length >= this.readsPerSecond) return Math.max(1, Math.ceil((this.recent[0]! + 1000 - now) / 1000));
    this.recent.push(now);
    return undefined;
  }
}
