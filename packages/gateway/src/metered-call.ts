import { randomFillSync } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type ApiFamily, formatMoney, gatewayErrorBody, type Usage } from '@allowance/protocol';
import { type Hold, type LedgerTable, openSealedCredential, type Sealer, type Store } from '@allowance/store';
import { confirmCall } from './check-confirmation.js';
import { GatewayError } from './gateway-error.js';
import type { GrantContext } from './load-grant.js';
import { type CallPlan, type MeteredEndpoint, planCall, rewriteBody } from './plan-call.js';
import { holdsFor, LimitsChanged, reserveBudget } from './reserve-budget.js';
import { billingHeaders, settleCall } from './settle-call.js';
import { refusedDestinationMessage, type Upstream, type UpstreamFailure } from './upstream/index.js';
import { jsonOutputTokens } from './upstream/json-output-tokens.js';

/** What a metered call needs from the gateway around it. */
export interface MeteredCallDependencies {
  store: Store;
  sealer: Sealer;
  upstream: Upstream;
  defaultMaxOutputTokens: number;
  reservationDeadlineMs: number;
  now: () => number;
  /** The issuer: human confirmations are decided at `{issuer}/confirmations/{id}` (spec §6.10). */
  issuer: string;
  /** How long a confirmation lasts; default 10 minutes, at most 15 (spec MTR-29). */
  confirmationLifetimeMs?: number | undefined;
}

/** A metered call as the gateway received it. */
export interface MeteredCallRequest {
  endpoint: MeteredEndpoint;
  family: ApiFamily;
  body: Record<string, unknown>;
  providerHeader: string | undefined;
  passHeaders: Record<string, string>;
  /** The `Allowance-Confirmation` header: an approval this call retries with (spec §6.10). */
  confirmation?: string | string[] | undefined;
  /** The app's address (spec SEC-3), for the ledger. */
  clientAddress: string | null;
  signal: AbortSignal;
  /** Reads the grant again, with every check of step 4, when a limit changed under the call. */
  reload: () => Promise<GrantContext>;
}

const NO_USAGE: Usage = { inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 };

/**
 * A model call through the gateway, after the token and the grant were verified: plan (provider,
 * model, caps, worst case) → reserve → forward with the user's key → settle → answer with the
 * cost. A refusal before forwarding is thrown as a {@link GatewayError} and nothing is held.
 */
export async function meteredCall(
  dependencies: MeteredCallDependencies,
  context: GrantContext,
  request: MeteredCallRequest,
  response: ServerResponse,
): Promise<void> {
  const startedAt = dependencies.now();
  const callId = newCallId(startedAt);
  const stream = request.body.stream === true && request.endpoint !== 'embeddings';
  const reserved = await planAndReserve(dependencies, context, request, { callId, startedAt, stream });
  const { plan, holds, credential } = reserved;
  const { grant, wallet } = reserved.context;

  const settle = (
    usage: Usage,
    status: LedgerTable['status'],
    httpStatus: number,
    errorCode: string | null,
    upstream: { firstByteAt?: number | undefined; requestId?: string | undefined } = {},
  ) =>
    settleCall(dependencies.store, {
      id: callId,
      holds,
      price: plan.price,
      usage,
      status,
      httpStatus,
      errorCode,
      startedAt,
      now: dependencies.now(),
      firstByteAt: upstream.firstByteAt,
      upstreamRequestId: upstream.requestId,
    });
  /** A failure's ledger status (spec 06-metering §6.6). */
  const failureStatus = (failure: UpstreamFailure): LedgerTable['status'] =>
    failure.kind === 'timeout'
      ? 'upstream_timeout'
      : failure.kind === 'aborted'
        ? 'client_disconnect'
        : 'upstream_error';
  const call = {
    endpoint: request.endpoint,
    target: {
      providerId: plan.target.provider,
      api: credential.api,
      baseUrl: credential.baseUrl,
      apiKey: credential.apiKey,
      privateNetworkAllowed: credential.privateNetwork,
    },
    body: rewriteBody(request.endpoint, request.body, plan, grant.details.retention),
    stream,
    appWantsUsage:
      (request.body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
    headers: request.passHeaders,
    signal: request.signal,
  };
  const priced = plan.price !== undefined;
  const common = { 'allowance-call': callId };

  if (!stream) {
    const result = await dependencies.upstream.call(call);
    if (!result.ok) {
      await settle(
        NO_USAGE,
        failureStatus(result.failure),
        failureHttpStatus(result.failure),
        result.failure.kind,
        { requestId: result.failure.requestId },
      );
      return answerFailure(result.failure, response, plan.target.provider);
    }
    const answeredAt = dependencies.now();
    // No usage in the answer: the input estimate and the output counted from its text (MTR-24).
    const usage = result.usage ?? estimatedUsage(plan, jsonOutputTokens(plan.provider.api, result.body));
    const billing = await settle(usage, 'ok', result.status, null, {
      firstByteAt: answeredAt,
      requestId: result.requestId,
    });
    response.writeHead(result.status, {
      'content-type': 'application/json',
      ...common,
      ...billingHeaders(billing, wallet.currency, priced),
    });
    response.end(result.body);
    return;
  }

  let started = false;
  let firstByteAt: number | undefined;
  const result = await dependencies.upstream.stream(call, {
    start(status, headers) {
      started = true;
      firstByteAt = dependencies.now();
      response.writeHead(status, { ...headers, ...common, 'allowance-currency': wallet.currency });
    },
    write: (chunk) => response.write(chunk),
    drained: () => new Promise<void>((resolve) => response.once('drain', resolve)),
  });
  if (result.failure && !started) {
    await settle(
      NO_USAGE,
      failureStatus(result.failure),
      failureHttpStatus(result.failure),
      result.failure.kind,
      {
        requestId: result.requestId,
      },
    );
    return answerFailure(result.failure, response, plan.target.provider);
  }
  // A stream that ended early (the app left, or the provider dropped it) is billed for what was
  // produced, never zero when anything was delivered (spec MTR-22, MTR-24).
  const usage =
    result.usage && result.completed
      ? result.usage
      : mergeUsage(
          result.usage,
          estimatedUsage(plan, Math.max(result.outputTokensFromText, result.deliveredAnyOutput ? 1 : 0)),
        );
  const status = result.completed ? 'ok' : result.clientAborted ? 'client_disconnect' : 'upstream_error';
  const billing = await settle(
    usage,
    status,
    200,
    result.completed ? null : result.clientAborted ? 'client_disconnected' : 'upstream_dropped',
    { firstByteAt, requestId: result.requestId },
  );
  if (!result.completed && !result.clientAborted && !response.writableEnded && !response.destroyed) {
    // The stream broke after it started (spec GW-21): say so in the stream's own format, so the
    // app does not take a cut answer for a whole one.
    response.write(streamErrorEvent(request.family));
  }
  if (!response.writableEnded && !response.destroyed) {
    const remaining =
      billing.remainingMicros === undefined ? '' : ` remaining=${formatMoney(billing.remainingMicros)}`;
    response.end(priced ? `: allowance-cost=${formatMoney(billing.costMicros)}${remaining}\n\n` : undefined);
  }
}

/** How often a call is planned again when a limit changes under it, before it is refused. */
const PLANNING_ATTEMPTS = 5;

/**
 * Steps 7 to 10: plan the call against the grant's limits as read, confirm it if it needs it, and
 * reserve its worst case. When a limit changed between the read and the reservation (spec
 * MTR-34), nothing was held: the grant is read again and the call planned again, so a call in
 * flight while the owner sets a cap can never slip past it.
 */
async function planAndReserve(
  dependencies: MeteredCallDependencies,
  firstContext: GrantContext,
  request: MeteredCallRequest,
  call: { callId: string; startedAt: number; stream: boolean },
): Promise<{
  context: GrantContext;
  plan: CallPlan;
  holds: Hold[];
  credential: ReturnType<typeof openSealedCredential>;
}> {
  let context = firstContext;
  for (let attempt = 1; ; attempt += 1) {
    const { grant, wallet } = context;
    const plan = planCall(context, request.endpoint, request.family, request.body, {
      providerHeader: request.providerHeader,
      defaultMaxOutputTokens: dependencies.defaultMaxOutputTokens,
      now: new Date(call.startedAt),
    });
    // Step 9: above `confirm_above`, only an approval the user gave for this very call lets it on.
    const confirmation = plan.needsConfirmation
      ? await confirmCall(
          {
            store: dependencies.store,
            issuer: dependencies.issuer,
            lifetimeMs: dependencies.confirmationLifetimeMs,
          },
          context,
          plan,
          { id: call.callId, header: request.confirmation, now: call.startedAt },
        )
      : undefined;
    const worst = { moneyMicros: plan.worstCaseMicros, tokens: plan.inputTokens + plan.maxOutputTokens };
    const holds = holdsFor(grant, wallet, worst, new Date(call.startedAt));
    try {
      const sealed = context.credentials.get(plan.target.provider);
      if (!sealed)
        throw new GatewayError(
          'provider_unavailable',
          `The wallet has no key for "${plan.target.provider}".`,
        );
      const credential = openSealedCredential(dependencies.sealer, grant.accountId, sealed);
      await reserveBudget(
        dependencies.store,
        {
          id: call.callId,
          grant,
          walletLimitsVersion: wallet.limitsVersion,
          providerId: plan.target.provider,
          model: plan.target.model,
          endpoint: request.endpoint,
          stream: call.stream,
          clientAddress: request.clientAddress,
        },
        holds,
        worst,
        wallet.currency,
        call.startedAt,
        dependencies.reservationDeadlineMs,
      );
      return { context, plan, holds, credential };
    } catch (error) {
      // A confirmation is consumed only by a call that got its reservation (spec MTR-32, §6.10).
      await confirmation?.restore();
      if (!(error instanceof LimitsChanged)) throw error;
      if (attempt === PLANNING_ATTEMPTS) {
        throw new GatewayError('rate_limited', 'The allowance is being changed right now. Retry shortly.', {
          headers: { 'retry-after': '1' },
        });
      }
      context = await request.reload();
    }
  }
}

/** An SSE error event in the family's format (spec 05-gateway §5.7.1). */
function streamErrorEvent(family: ApiFamily): string {
  const body = gatewayErrorBody(
    family,
    'upstream_error',
    'The provider’s stream broke off. You were billed only for what was produced.',
  );
  const data = `data: ${JSON.stringify(body)}\n\n`;
  return family === 'anthropic' ? `event: error\n${data}` : data;
}

/** Usage when the provider reported none: the input estimate as uncached input, and the output counted. */
function estimatedUsage(plan: CallPlan, outputTokens: number): Usage {
  return {
    inputTokens: plan.inputTokens,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: Math.min(outputTokens, plan.maxOutputTokens),
  };
}

/** The provider's own figures where it gave them, the counted ones where it did not. */
function mergeUsage(reported: Usage | undefined, counted: Usage): Usage {
  if (!reported) return counted;
  return {
    inputTokens:
      reported.inputTokens + reported.cachedInputTokens + reported.cacheWriteTokens > 0
        ? reported.inputTokens
        : counted.inputTokens,
    cachedInputTokens: reported.cachedInputTokens,
    cacheWriteTokens: reported.cacheWriteTokens,
    outputTokens: Math.max(reported.outputTokens, counted.outputTokens),
  };
}

/** The HTTP status a failure is answered with, for the ledger (spec 05-gateway §5.7.1). */
function failureHttpStatus(failure: UpstreamFailure): number {
  return failure.status ?? (failure.kind === 'refused' ? 503 : 502);
}

/**
 * A provider failure as the app sees it (spec 05-gateway): its rate limit passes through as 429,
 * its refusal of the wallet's key is the wallet's problem (502), a timeout is 504, and the rest
 * is 502, all thrown as refusals; only a provider's own 4xx about the request (a bad parameter)
 * is relayed unchanged, since the app must see what it got wrong.
 */
function answerFailure(failure: UpstreamFailure, response: ServerResponse, providerId: string): void {
  // The key was not sent, because of where its name led at connect time (spec SEC-8, GW-13).
  if (failure.kind === 'refused')
    throw new GatewayError('provider_unavailable', refusedDestinationMessage(providerId, failure.problem));
  if (failure.kind === 'timeout')
    throw new GatewayError('upstream_timeout', 'The provider did not answer in time. Nothing was billed.');
  const status = failure.kind === 'status' ? failure.status : undefined;
  if (status === 429) {
    const retryAfter = Math.max(1, Math.ceil(Number(failure.retryAfter ?? 1)) || 1);
    throw new GatewayError('rate_limited', 'The provider is rate limiting this wallet. Retry later.', {
      headers: { 'retry-after': String(retryAfter) },
    });
  }
  if (status === 401 || status === 403) {
    throw new GatewayError(
      'upstream_error',
      'The provider refused the wallet’s key. The wallet owner should check it.',
    );
  }
  if (status !== undefined && status >= 400 && status < 500) {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(failure.body ?? {}));
    return;
  }
  throw new GatewayError('upstream_error', 'The provider failed. Nothing was billed.');
}

/**
 * A call's id, which is also its reservation's and its ledger row's key: the start time in fixed
 * width hex, so ids sort by time and the ledger's key index grows at its end instead of at random
 * pages, then 96 random bits.
 */
function newCallId(startedAt: number): string {
  return `call_${startedAt.toString(16).padStart(12, '0')}${randomPart()}`;
}

// Random bytes drawn a few kilobytes at a time: asking the CSPRNG for 12 bytes on every call cost
// ~5 µs of a call's CPU, and ten times that when cold (BENCHMARKS.md, "Profiling and fixes" 9). Each id takes fresh bytes.
const ID_BYTES = 12;
const randomPool = Buffer.alloc(ID_BYTES * 256);
let randomOffset = randomPool.length;

function randomPart(): string {
  if (randomOffset === randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const part = randomPool.toString('base64url', randomOffset, randomOffset + ID_BYTES);
  randomOffset += ID_BYTES;
  return part;
}
