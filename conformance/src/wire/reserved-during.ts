import type { ProviderSim } from '@allowance/provider-sim';
import { recordExchange } from '../runner/exchange-log.js';
import { callGateway, type PresentedToken } from './gateway-call.js';
import { type HttpResponse, member } from './http.js';
import { parseMoney } from './money.js';

/** What one metered call cost, and what the wallet held for it while it ran. */
export interface ObservedCall {
  readonly response: HttpResponse;
  /** The largest `reserved` of the grant's first budget limit seen while the call was in flight. */
  readonly reserved: bigint;
  /** `Allowance-Cost` of the response, or `undefined` when absent or malformed. */
  readonly cost: bigint | undefined;
}

/**
 * Makes one gateway call whose provider answer is paced (set by the caller's simulator rule) and
 * polls `GET /v1/allowance` while it is in flight, so that a check can compare what was billed
 * with what was reserved without reimplementing the wallet's estimates.
 */
export async function callWatchingReservation(
  gateway: string,
  token: PresentedToken,
  sim: ProviderSim,
  body: Record<string, unknown>,
): Promise<ObservedCall> {
  let reserved = 0n;
  let done = false;
  const call = callGateway(gateway, '/v1/chat/completions', token, { body }).finally(() => {
    done = true;
  });
  while (!done) {
    if (sim.calls.some((entry) => entry.outcome === 'pending')) {
      const allowance = await callGateway(gateway, '/v1/allowance', token);
      const now = parseMoney(String(member(allowance.json, 'budget', 0, 'reserved') ?? '')) ?? 0n;
      if (now > reserved) reserved = now;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const response = await call;
  recordExchange({
    method: 'NOTE',
    url: `${gateway}/v1/allowance`,
    requestHeaders: {},
    status: 0,
    responseHeaders: {},
    responseBody: `largest reserved seen while the call ran: ${reserved}`,
  });
  return { response, reserved, cost: parseMoney(response.headers.get('allowance-cost') ?? '') };
}
