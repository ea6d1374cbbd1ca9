import { approvedAiAllowanceSchema, narrow } from '@allowance/protocol';
import {
  changeGrantStatus,
  findGrant,
  type GrantRecord,
  replaceGrantDetails,
  type Store,
  walletSettings,
} from '@allowance/store';
import type { ServerConfig } from '../config.js';
import { approvalFromForm } from '../interactions/approval-form.js';
import type { Form } from '../pages/form-body.js';
import { alignAuthorizationGrantExpiry, revokeWalletGrant } from './grant-revocation.js';
import { grantState } from './grant-usage.js';
import { civilDate, endOfCivilDate, formatInstant } from './wallet-time.js';

/** What an action on a grant did, or why it did nothing; the page shows it as is. */
export type ActionOutcome =
  | { ok: true; notice: string }
  | { ok: false; status: 400 | 404 | 409; problem: string; problemDetails?: string[] };

/** What the grant actions need. */
export interface GrantActionDependencies {
  store: Store;
  config: ServerConfig;
  now: () => number;
}

const NOT_FOUND: ActionOutcome = { ok: false, status: 404, problem: 'No such app connection.' };
const REVOKED: ActionOutcome = {
  ok: false,
  status: 409,
  problem: 'This connection is revoked, and revocation is final. The app must ask again.',
};
const CHANGED: ActionOutcome = {
  ok: false,
  status: 409,
  problem: 'This connection changed while you were editing it. Nothing was changed: reload and try again.',
};

/** The grant, if it belongs to the account: another user's grant is as absent as a missing one. */
async function ownGrant(store: Store, accountId: string, grantId: string): Promise<GrantRecord | undefined> {
  const grant = await findGrant(store, grantId);
  return grant && grant.accountId === accountId ? grant : undefined;
}

/** Revokes at once and for good (see {@link revokeWalletGrant}). */
export async function revokeAction(
  dependencies: GrantActionDependencies,
  accountId: string,
  grantId: string,
): Promise<ActionOutcome> {
  return (await revokeWalletGrant(dependencies, grantId, accountId))
    ? { ok: true, notice: 'Revoked. The app’s next call will be refused.' }
    : { ok: false, status: 404, problem: 'No such live grant.' };
}

/**
 * Suspends an active grant: the gateway refuses its calls from the next request (403
 * `grant_suspended`, with the reason) while the app keeps its session, until the user resumes it.
 */
export async function suspendAction(
  dependencies: GrantActionDependencies,
  accountId: string,
  grantId: string,
  form: Form,
): Promise<ActionOutcome> {
  const grant = await ownGrant(dependencies.store, accountId, grantId);
  if (!grant) return NOT_FOUND;
  if (grant.status === 'revoked') return REVOKED;
  if (grant.status === 'suspended') return { ok: false, status: 409, problem: 'It is already suspended.' };
  const reason = (form.get('reason') ?? '').replace(/\s+/g, ' ').trim().slice(0, 200);
  const changed = await changeGrantStatus(dependencies.store, {
    grantId,
    accountId,
    from: 'active',
    to: 'suspended',
    reason: reason || null,
    now: dependencies.now(),
  });
  return changed
    ? { ok: true, notice: 'Suspended. The app’s calls are refused until you resume it.' }
    : CHANGED;
}

/** Lifts a suspension, the user's or the anomaly detection's. A revoked grant stays revoked. */
export async function resumeAction(
  dependencies: GrantActionDependencies,
  accountId: string,
  grantId: string,
): Promise<ActionOutcome> {
  const grant = await ownGrant(dependencies.store, accountId, grantId);
  if (!grant) return NOT_FOUND;
  if (grant.status === 'revoked') return REVOKED;
  if (grant.status === 'active') return { ok: false, status: 409, problem: 'It is not suspended.' };
  const changed = await changeGrantStatus(dependencies.store, {
    grantId,
    accountId,
    from: 'suspended',
    to: 'active',
    reason: null,
    now: dependencies.now(),
  });
  return changed ? { ok: true, notice: 'Resumed. The app can call models again.' } : CHANGED;
}

// narrow() speaks of a request and an approval; here the "request" is the current allowance.
const reword = (message: string) =>
  message
    .replace('was not requested', 'is not in the current allowance')
    .replace('must not be raised above the request', 'must not be raised')
    .replace(/^the requested (.*) cannot be removed$/, 'the $1 cannot be removed');

/**
 * Lowers a grant's allowance from the limits form. The edit must be a subset of the current
 * allowance, proved by `narrow` on the server (a forged form can raise anything); when it is,
 * the new allowance is stored and the gateway enforces it from the next call (spec REV-8), and
 * tokens issued from then on carry it.
 */
export async function lowerLimitsAction(
  dependencies: GrantActionDependencies,
  accountId: string,
  grantId: string,
  form: Form,
): Promise<ActionOutcome> {
  const now = dependencies.now();
  const grant = await ownGrant(dependencies.store, accountId, grantId);
  if (!grant) return NOT_FOUND;
  if (grant.status === 'revoked') return REVOKED;
  if (grantState(grant, now) === 'expired') {
    return {
      ok: false,
      status: 409,
      problem: 'This connection has expired. Extend it before changing its limits.',
    };
  }
  const current = grant.details;
  const { approval, problems } = approvalFromForm(current, form, {
    now: new Date(now),
    latestExpiry: new Date(grant.expiresAt),
    availableProviders: new Set(current.providers),
  });
  if (problems.length > 0) {
    return { ok: false, status: 400, problem: 'Nothing was changed:', problemDetails: problems };
  }
  const result = narrow(current, { ...approval, expires_at: current.expires_at }, { now: new Date(now) });
  if (!result.ok) {
    return {
      ok: false,
      status: 400,
      problem: 'Limits can only be lowered here. Nothing was changed:',
      problemDetails: result.violations.map((violation) => `${violation.path}: ${reword(violation.message)}`),
    };
  }
  if (JSON.stringify(result.approved) === JSON.stringify(current))
    return { ok: true, notice: 'Nothing to change.' };
  const replaced = await replaceGrantDetails(dependencies.store, {
    grantId,
    accountId,
    previous: current,
    details: result.approved,
    now,
  });
  return replaced ? { ok: true, notice: 'Saved. The lower limits apply from the app’s next call.' } : CHANGED;
}

/**
 * Moves a grant's expiry to the end of a chosen day in the wallet's time zone: earlier, or later
 * up to the wallet's maximum grant lifetime from now. Extending is the user's own choice, so it
 * need not be within what the app first asked for; every other part of the allowance stays.
 */
export async function moveExpiryAction(
  dependencies: GrantActionDependencies,
  accountId: string,
  grantId: string,
  form: Form,
): Promise<ActionOutcome> {
  const { store, config } = dependencies;
  const now = dependencies.now();
  const grant = await ownGrant(store, accountId, grantId);
  if (!grant) return NOT_FOUND;
  if (grant.status === 'revoked') return REVOKED;
  const timeZone = (await walletSettings(store, accountId))?.timeZone ?? config.timeZone;
  const chosen = (form.get('expires_on') ?? '').trim();
  const endOfDay = endOfCivilDate(chosen, timeZone);
  if (endOfDay === undefined) {
    return {
      ok: false,
      status: 400,
      problem: `"${chosen}" is not a date such as 2026-12-31. Nothing was changed.`,
    };
  }
  const latest = now + config.maxGrantSeconds * 1000;
  const latestDate = civilDate(latest, timeZone);
  // The last allowed day ends at the wallet's maximum, not at midnight.
  const expiry = chosen === latestDate ? Math.min(endOfDay, latest) : endOfDay;
  if (expiry > latest) {
    return {
      ok: false,
      status: 400,
      problem: `A connection can last at most until ${latestDate} in this wallet. Nothing was changed.`,
    };
  }
  if (expiry <= now)
    return { ok: false, status: 400, problem: 'Choose a day that has not ended yet. Nothing was changed.' };
  const expiresAt = new Date(Math.floor(expiry / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const details = approvedAiAllowanceSchema.safeParse({ ...grant.details, expires_at: expiresAt });
  if (!details.success)
    return { ok: false, status: 400, problem: 'That expiry cannot be stored. Nothing was changed.' };
  const replaced = await replaceGrantDetails(store, {
    grantId,
    accountId,
    previous: grant.details,
    details: details.data,
    now,
  });
  if (!replaced) return CHANGED;
  await alignAuthorizationGrantExpiry(store, grantId, Date.parse(expiresAt));
  return { ok: true, notice: `Saved. It now expires ${formatInstant(Date.parse(expiresAt), timeZone)}.` };
}
