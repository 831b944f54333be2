/**
 * Real crashes for real clients: SDK middleware that kills a client at a chosen step, as a Lambda
 * that dies mid-invocation would. Once "dead", every later call through the client fails too.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export class SimulatedCrash extends Error {
  readonly name = 'SimulatedCrash';
}

/**
 * Crashes `client` on its next `commandName` call: `before` the request is sent (nothing reaches
 * DynamoDB), or `after` DynamoDB has applied it (the effect is durable but the caller never learns).
 */
export function crashOn(client: DynamoDBClient, commandName: string, phase: 'before' | 'after'): void {
  let dead = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (dead) throw new SimulatedCrash('the process has crashed');
      if (context.commandName === commandName && phase === 'before') {
        dead = true;
        throw new SimulatedCrash(`crashed before ${commandName}`);
      }
      const result = await next(args);
      if (context.commandName === commandName && phase === 'after') {
        dead = true;
        throw new SimulatedCrash(`crashed after ${commandName}`);
      }
      return result;
    },
    { step: 'initialize', name: 'simulatedCrash' },
  );
  forgetResolvedMiddleware(client);
}

/**
 * Our clients resolve each command's middleware once (`cacheMiddleware`); middleware added later is
 * seen only once that cache is dropped.
 */
export function forgetResolvedMiddleware(client: object): void {
  delete (client as { handlers?: unknown }).handlers;
}

export interface FaultOptions {
  readonly command: string;
  /** Which calls to fail, by their input. @default every call */
  readonly when?: (input: Record<string, unknown>) => boolean;
  readonly error: () => Error;
  /** Let DynamoDB apply the request first, then fail: the answer is lost. @default false */
  readonly applyFirst?: boolean;
  /**
   * Fail beneath the SDK's retry middleware, so that the SDK retries a retryable error as it does a
   * real one. @default false: the error reaches the caller as if the SDK had given up.
   */
  readonly belowRetries?: boolean;
  /** @default every matching call */
  readonly times?: number;
}

/**
 * Injects a fault that cannot be produced for real against an emulator (throttling, a lost answer)
 * into a real client's middleware stack. Counts the matching requests sent and the faults injected.
 */
export function injectFault(client: DynamoDBClient, options: FaultOptions): { readonly sent: number; readonly injected: number } {
  const counters = { sent: 0, injected: 0 };
  type Next = (args: { input: unknown }) => Promise<unknown>;
  const middleware = (next: Next, context: { commandName?: string }) => async (args: { input: unknown }) => {
    const matches = context.commandName === options.command && (options.when?.(args.input as Record<string, unknown>) ?? true);
    if (!matches) return next(args);
    counters.sent += 1;
    const inject = counters.injected < (options.times ?? Number.POSITIVE_INFINITY);
    if (inject && !options.applyFirst) {
      counters.injected += 1;
      throw options.error();
    }
    const result = await next(args);
    if (inject) {
      counters.injected += 1;
      throw options.error();
    }
    return result;
  };
  // The deserialize step runs inside the retry middleware (finalizeRequest); initialize, outside it.
  if (options.belowRetries) client.middlewareStack.add(middleware as never, { step: 'deserialize', name: 'injectedFaultBelowRetries' });
  else client.middlewareStack.add(middleware as never, { step: 'initialize', name: 'injectedFault' });
  forgetResolvedMiddleware(client);
  return counters;
}

/** A connection reset: the SDK retries it. */
export const connectionReset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
