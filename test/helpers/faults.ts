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
}
