/**
 * Fault injection for drills, set at start-up (CHAOS_* variables) or live (PUT /api/chaos). Faults are
 * injected by wrapping the real parts, so the functions themselves carry no chaos code:
 *
 * - enqueueFailRate: the ingest's SendMessage fails → 503, and the sender retries as Stripe would.
 * - workerFailRate: the action fails before committing → the message is retried, then dead-lettered.
 * - workerCrashAfterCommitRate: the commit succeeds but the worker "dies" before the acknowledgement,
 *   so the message comes back and must be recognised as a duplicate.
 * - failTypes: every event of these types fails until the list is cleared (poison events → DLQ).
 *
 * A seeded generator makes a run repeatable (CHAOS_SEED).
 */
import { NotQueuedError } from '../functions/shared/errors';
import type { Enqueue } from '../functions/ingest/receive-webhook';
import type { Ledger } from '../functions/worker/ledger';
import type { Registry } from '../functions/worker/registry';
import { seededRandom } from './random';

export interface ChaosSettings {
  readonly workerFailRate: number;
  readonly workerCrashAfterCommitRate: number;
  readonly enqueueFailRate: number;
  readonly failTypes: readonly string[];
}

export const NO_CHAOS: ChaosSettings = { workerFailRate: 0, workerCrashAfterCommitRate: 0, enqueueFailRate: 0, failTypes: [] };

export class InjectedFault extends Error {
  readonly name = 'InjectedFault';
}

export interface InjectedCounts {
  enqueueFailures: number;
  workerFailures: number;
  crashesAfterCommit: number;
  failTypeFailures: number;
}

export class Chaos {
  private settings: ChaosSettings;
  private readonly random: () => number;
  private readonly changeListeners: ((settings: ChaosSettings) => void)[] = [];
  /** How many faults were injected, for drill reports. */
  readonly injected: InjectedCounts = { enqueueFailures: 0, workerFailures: 0, crashesAfterCommit: 0, failTypeFailures: 0 };

  constructor(
    settings: Partial<ChaosSettings> = {},
    seed?: number,
    /** Told of each fault injected here, e.g. to count it in the main thread when the worker has its own. */
    private readonly onInjected?: (fault: keyof InjectedCounts) => void,
  ) {
    this.settings = validateChaos({ ...NO_CHAOS, ...settings });
    this.random = seed === undefined ? Math.random : seededRandom(seed);
  }

  get current(): ChaosSettings {
    return this.settings;
  }

  /** Replaces the settings given, keeping the others. Throws a RangeError on a bad value. */
  update(changes: Partial<ChaosSettings>): ChaosSettings {
    this.settings = validateChaos({ ...this.settings, ...changes });
    for (const listener of this.changeListeners) listener(this.settings);
    return this.settings;
  }

  /** Calls `listener` with the settings after every update, e.g. to pass them on to the worker's thread. */
  onChange(listener: (settings: ChaosSettings) => void): void {
    this.changeListeners.push(listener);
  }

  /** Counts a fault injected elsewhere (the worker's thread) as if here. */
  count(fault: keyof InjectedCounts): void {
    this.injected[fault] += 1;
  }

  private inject(fault: keyof InjectedCounts): void {
    this.count(fault);
    this.onInjected?.(fault);
  }

  private roll(rate: number): boolean {
    return rate > 0 && this.random() < rate;
  }

  wrapEnqueue(enqueue: Enqueue): Enqueue {
    return async (message) => {
      if (this.roll(this.settings.enqueueFailRate)) {
        this.inject('enqueueFailures');
        throw new NotQueuedError('Injected fault: SQS refused the message');
      }
      return enqueue(message);
    };
  }

  wrapRegistry(registry: Registry): Registry {
    return {
      types: registry.types,
      snapshotTypes: registry.snapshotTypes,
      find: (type) => {
        const handler = registry.find(type);
        if (this.settings.failTypes.includes(type)) {
          return {
            handle: () => {
              this.inject('failTypeFailures');
              throw new InjectedFault(`Injected fault: events of type ${type} fail (failTypes)`);
            },
          };
        }
        if (!handler) return undefined;
        return {
          ...handler,
          handle: (event, context) => {
            if (this.roll(this.settings.workerFailRate)) {
              this.inject('workerFailures');
              throw new InjectedFault('Injected fault: the action failed');
            }
            return handler.handle(event, context);
          },
        };
      },
    };
  }

  /** After a successful commit, sometimes "crash": the effects are durable but the message is not acknowledged. */
  wrapLedger(ledger: Ledger): Ledger {
    return {
      ...delegate(ledger),
      commit: async (...args) => {
        const result = await ledger.commit(...args);
        if (result.outcome === 'completed' && this.roll(this.settings.workerCrashAfterCommitRate)) {
          this.inject('crashesAfterCommit');
          throw new InjectedFault('Injected fault: the worker crashed after its commit');
        }
        return result;
      },
      commitTogether: async (entries, now) => {
        const result = await ledger.commitTogether(entries, now);
        if ([...result.committed].some(() => this.roll(this.settings.workerCrashAfterCommitRate))) {
          this.inject('crashesAfterCommit');
          // The whole invocation dies: no message of the batch is acknowledged.
          throw new InjectedFault('Injected fault: the worker crashed after a batch commit');
        }
        return result;
      },
    };
  }
}

/** A ledger that forwards every call to `ledger`: the base that decorators override. */
export function delegate(ledger: Ledger): Ledger {
  return {
    commit: (...args) => ledger.commit(...args),
    commitTogether: (...args) => ledger.commitTogether(...args),
    recordIgnored: (...args) => ledger.recordIgnored(...args),
    acquireLease: (...args) => ledger.acquireLease(...args),
    recordFailure: (...args) => ledger.recordFailure(...args),
    markDeadLettered: (...args) => ledger.markDeadLettered(...args),
    doneStatus: (...args) => ledger.doneStatus(...args),
  };
}

/** Chaos settings from CHAOS_* variables. */
export function chaosFromEnv(env: Readonly<Record<string, string | undefined>>): { settings: Partial<ChaosSettings>; seed?: number } {
  const rate = (name: string) => (env[name] === undefined ? undefined : Number(env[name]));
  const settings: Partial<ChaosSettings> = {};
  const assign = <K extends keyof ChaosSettings>(key: K, value: ChaosSettings[K] | undefined) => {
    if (value !== undefined) (settings as Record<string, unknown>)[key] = value;
  };
  assign('workerFailRate', rate('CHAOS_WORKER_FAIL_RATE'));
  assign('workerCrashAfterCommitRate', rate('CHAOS_WORKER_CRASH_AFTER_COMMIT_RATE'));
  assign('enqueueFailRate', rate('CHAOS_ENQUEUE_FAIL_RATE'));
  assign('failTypes', env.CHAOS_FAIL_TYPES?.split(',').map((type) => type.trim()).filter(Boolean));
  return { settings, seed: env.CHAOS_SEED === undefined ? undefined : Number(env.CHAOS_SEED) };
}

export function validateChaos(settings: ChaosSettings): ChaosSettings {
  for (const key of ['workerFailRate', 'workerCrashAfterCommitRate', 'enqueueFailRate'] as const) {
    const value = settings[key];
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new RangeError(`${key} must be a number from 0 to 1, got ${JSON.stringify(value)}`);
  }
  if (!Array.isArray(settings.failTypes) || !settings.failTypes.every((type) => typeof type === 'string')) {
    throw new RangeError('failTypes must be an array of event types');
  }
  return { ...settings, failTypes: [...settings.failTypes] };
}
