import { formatMoney } from '@allowance/protocol';
import {
  type ConfirmationRecord,
  confirmationState,
  createConfirmation,
  findConfirmation,
  restoreConfirmation,
  type Store,
  useConfirmation,
} from '@allowance/store';
import { GatewayError } from './gateway-error.js';
import type { GrantContext } from './load-grant.js';
import type { CallPlan } from './plan-call.js';

/** How long a confirmation lasts when the gateway is not told otherwise (spec MTR-29). */
export const DEFAULT_CONFIRMATION_LIFETIME_MS = 10 * 60 * 1000;
/** The spec's ceiling on a confirmation's lifetime (MTR-29). */
export const MAX_CONFIRMATION_LIFETIME_MS = 15 * 60 * 1000;

/** What the confirmation step needs besides the call. */
export interface ConfirmationPolicy {
  store: Store;
  /** The issuer: confirmation pages live on its origin, at `/confirmations/{id}`. */
  issuer: string;
  /** At most 15 minutes; default 10. */
  lifetimeMs?: number | undefined;
}

/** An approval this call used; give it back if the call is refused before anything is held. */
export interface UsedConfirmation {
  id: string;
  restore(): Promise<void>;
}

/** RFC 3339 UTC, to the second, as the spec writes instants. */
const instant = (milliseconds: number) => new Date(milliseconds).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The wallet page where the user decides on a confirmation. */
export function confirmationUrl(issuer: string, id: string): string {
  return `${issuer.replace(/\/+$/, '')}/confirmations/${encodeURIComponent(id)}`;
}

/** The `confirmation` member of a `confirmation_required` error (spec 06-metering §6.10). */
export function confirmationObject(issuer: string, confirmation: ConfirmationRecord) {
  return {
    id: confirmation.id,
    url: confirmationUrl(issuer, confirmation.id),
    expires_at: instant(confirmation.expiresAt),
    estimated_max_cost: formatMoney(confirmation.estimatedMaxMicros),
  };
}

/** The header's value, when the app sent exactly one plausible confirmation id. */
function namedId(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? (header.length === 1 ? header[0] : undefined) : header;
  const id = value?.trim();
  return id && /^cf_[A-Za-z0-9_-]{1,64}$/.test(id) ? id : undefined;
}

/**
 * Step 9 of the pipeline (spec 05-gateway; 06-metering §6.10, MTR-29 to MTR-33), for a call whose
 * worst case is above the grant's `confirm_above`. The `Allowance-Confirmation` header may name
 * an approval of this grant for this provider and model at a worst case no lower than this
 * call's: it is used at once, atomically, so it lets exactly one call through, and the caller
 * restores it if the reservation then fails. A confirmation still pending is answered with
 * itself, a denied one with `confirmation_denied`; anything else (no header, unknown, expired,
 * used, another grant's, or for another call) opens a new pending confirmation and refuses the
 * call with it.
 */
export async function confirmCall(
  policy: ConfirmationPolicy,
  context: GrantContext,
  plan: CallPlan,
  call: { id: string; header: string | string[] | undefined; now: number },
): Promise<UsedConfirmation> {
  const { store } = policy;
  const { grant, wallet } = context;
  const estimatedMaxMicros = plan.worstCaseMicros ?? 0;
  const confirmed = {
    grantId: grant.id,
    providerId: plan.target.provider,
    model: plan.target.model,
    estimatedMaxMicros,
  };
  const cost = `${formatMoney(estimatedMaxMicros)} ${wallet.currency}`;
  const named = namedId(call.header);

  if (named) {
    if (await useConfirmation(store, { ...confirmed, id: named, callId: call.id, now: call.now })) {
      return {
        id: named,
        restore: async () => {
          await restoreConfirmation(store, { id: named, callId: call.id });
        },
      };
    }
    const existing = await findConfirmation(store, named);
    // Another grant's confirmation is as unknown as a missing one: its state is not this app's business.
    if (existing && existing.grantId === grant.id) {
      const state = confirmationState(existing, call.now);
      if (state === 'denied') {
        throw new GatewayError(
          'confirmation_denied',
          `The user denied this call (confirmation ${existing.id}). Do not retry it with this confirmation.`,
        );
      }
      const sameCall =
        existing.providerId === confirmed.providerId &&
        existing.model === confirmed.model &&
        existing.estimatedMaxMicros >= estimatedMaxMicros;
      if (state === 'pending' && sameCall) {
        throw new GatewayError(
          'confirmation_required',
          `This call could cost up to ${cost}; the user has not decided yet. Retry with the same Allowance-Confirmation header in a few seconds.`,
          { extras: { confirmation: confirmationObject(policy.issuer, existing) } },
        );
      }
    }
  }

  const lifetime = Math.min(
    policy.lifetimeMs ?? DEFAULT_CONFIRMATION_LIFETIME_MS,
    MAX_CONFIRMATION_LIFETIME_MS,
  );
  // Whole seconds, so the stored expiry is exactly the `expires_at` the app is told.
  const expiresAt = Math.floor((call.now + lifetime) / 1000) * 1000;
  const opened = await createConfirmation(store, {
    ...confirmed,
    accountId: grant.accountId,
    clientId: grant.clientId,
    now: call.now,
    expiresAt,
  });
  const object = confirmationObject(policy.issuer, opened);
  throw new GatewayError(
    'confirmation_required',
    `This call could cost up to ${cost}, above the ${grant.details.confirm_above?.amount} ${wallet.currency} the user asked to confirm. Ask the user to approve it at ${object.url}, then retry with the header Allowance-Confirmation: ${opened.id}.`,
    { extras: { confirmation: object } },
  );
}
