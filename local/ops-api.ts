/**
 * The local ops API (JSON, same port as the webhook): the console's API (console-api.ts, which the
 * console for a deployed stage serves as well) over the local stack, and what only the local stack
 * has: readiness, the business projections and fault injection. Each route is a thin adapter over
 * the ops library.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { projectionKeys } from '../functions/shared/projection-keys';
import type { StripeApi } from '../functions/shared/stripe-api';
import { ledgerOverview } from '../ops/overview';
import { getAccountingLedger, getBalance, getCustomer, getProjection } from '../ops/projection-reads';
import type { PipelineResources } from '../ops/stage';
import type { Chaos, ChaosSettings } from './chaos';
import { errorResponse, found, handleConsoleApi, HttpError, ok, parseJson, routeMatcher, type ConsoleTarget, type JsonResponse } from './console-api';
import type { EventLog } from './event-log';

export interface OpsDeps {
  readonly sqs: SQSClient;
  readonly db: DynamoDBClient;
  readonly resources: PipelineResources;
  readonly eventLog: EventLog;
  readonly chaos: Chaos;
  /** The Stripe API the reconcile reads (the stand-in, or STRIPE_API_BASE). */
  readonly stripeApi: StripeApi;
}

/** The local stack as the console's target: its overview counted from its (small) ledger, and the payloads it kept. */
export function localConsoleTarget(deps: OpsDeps): ConsoleTarget {
  return {
    name: 'the local stack',
    kind: 'local',
    db: deps.db,
    sqs: deps.sqs,
    resources: deps.resources,
    stripeApi: async () => deps.stripeApi,
    overview: (range) => ledgerOverview(deps, range),
    receivedBody: (eventId) => deps.eventLog.payload(eventId),
  };
}

/** Answers a request under /health or /api, or returns undefined when the path is not an ops route. */
export async function handleOps(method: string, url: URL, body: string, deps: OpsDeps, target: ConsoleTarget = localConsoleTarget(deps)): Promise<JsonResponse | undefined> {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const route = routeMatcher(method, path);
  let match: RegExpExecArray | null;
  try {
    // The stack answers 503 starting to every route until it is ready (router.ts): here it is.
    if (route(/^\/health$/, 'GET')) return ok({ status: 'ready' });
    const answer = await handleConsoleApi(method, url, body, target);
    if (answer) return answer;
    const projections = deps.resources.projectionsTableName;
    if (route(/^\/api\/ledger$/, 'GET')) return ok(await getAccountingLedger(deps.db, projections));
    if ((match = route(/^\/api\/payments\/([^/]+)$/, 'GET'))) return ok(await projection(deps, projectionKeys.payment(decodeURIComponent(match[1]!)), 'payment'));
    if ((match = route(/^\/api\/customers\/([^/]+)$/, 'GET'))) {
      const customerId = decodeURIComponent(match[1]!);
      return ok(found(await getCustomer(deps.db, projections, customerId), `No customer ${customerId}`));
    }
    if ((match = route(/^\/api\/disputes\/([^/]+)$/, 'GET'))) return ok(await projection(deps, projectionKeys.dispute(decodeURIComponent(match[1]!)), 'dispute'));
    if ((match = route(/^\/api\/orders\/([^/]+)$/, 'GET'))) return ok(await projection(deps, projectionKeys.order(decodeURIComponent(match[1]!)), 'order'));
    if (route(/^\/api\/balance$/, 'GET')) return ok(await getBalance(deps.db, projections));
    if (route(/^\/api\/chaos$/, 'GET')) return ok(deps.chaos.current);
    if (route(/^\/api\/chaos$/, 'PUT')) {
      try {
        return ok(deps.chaos.update(parseJson<Partial<ChaosSettings>>(body)));
      } catch (error) {
        if (error instanceof RangeError) throw new HttpError(400, error.message);
        throw error;
      }
    }
    route.refuseOtherMethods();
    if (path.startsWith('/api/') || path === '/health') throw new HttpError(404, `No route ${method} ${path}`);
    return undefined;
  } catch (error) {
    return errorResponse(error);
  }
}

async function projection(deps: OpsDeps, key: { pk: string; sk: string }, what: string) {
  return found(await getProjection(deps.db, deps.resources.projectionsTableName, key), `No ${what} ${key.pk.split('#')[1]}`);
}
