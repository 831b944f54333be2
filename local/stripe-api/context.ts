/**
 * What a route gets besides its request: the store, the clock, and the server's own state (faults,
 * request log) that the `/_standin/` routes reach. Types only, shared by the server and the routes.
 */
import type { Fault } from './faults';
import type { FormHash } from './form';
import type { MemoryStore } from './store';

/** One request as the routes see it: no headers (the key was checked before). */
export interface StandInRequest {
  readonly method: string;
  /** Without the query. */
  readonly path: string;
  /** The query's parameters for GET and DELETE, the form body's for POST. */
  readonly params: FormHash;
  /** The raw body, for the JSON routes under `/_standin/`. */
  readonly body: string;
}

export interface StandInResponse {
  readonly status: number;
  readonly body: unknown;
}

/** A request in the log: what was asked, never who asked (headers carry the key). */
export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | string[]>;
}

/** The server's own state that the `/_standin/` routes reach. */
export interface StandInControl {
  injectFault(fault: Fault): void;
  /** Answers how many faults were still armed. */
  clearFaults(): number;
  readonly requests: readonly LoggedRequest[];
}

export interface RouteContext {
  readonly store: MemoryStore;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly control: StandInControl;
}
