import { type ApprovedAiAllowance, formatMoney, parseMoney, periodWindow } from '@allowance/protocol';
import { type Hold, reserve, type Store } from '@allowance/store';
import { GatewayError } from './gateway-error.js';

/** What one call holds: its worst case in money (undefined when unpriced) and in tokens. */
export interface WorstCase {
  moneyMicros: number | undefined;
  tokens: number;
}

/**
 * The holds a call needs: its worst-case cost against every money limit of the grant and the
 * wallet-wide monthly cap, its worst-case tokens against every token limit, each in the
 * current calendar period of the wallet's time zone (spec 06-metering §6.4).
 */
export function holdsFor(
  grant: { id: string; accountId: string; details: ApprovedAiAllowance },
  wallet: { timeZone: string; monthlyCapMicros: number | null },
  worst: WorstCase,
  now: Date,
): Hold[] {
  const holds: Hold[] = [];
  const key = (period: Parameters<typeof periodWindow>[0]) => periodWindow(period, now, wallet.timeZone).key;
  if (worst.moneyMicros !== undefined) {
    for (const limit of grant.details.budget?.limits ?? []) {
      holds.push({
        subject: grant.id,
        kind: 'money',
        periodKey: key(limit.period),
        cap: parseMoney(limit.amount),
        amount: worst.moneyMicros,
      });
    }
    if (wallet.monthlyCapMicros !== null) {
      holds.push({
        subject: `wallet:${grant.accountId}`,
        kind: 'money',
        periodKey: key('month'),
        cap: wallet.monthlyCapMicros,
        amount: worst.moneyMicros,
      });
    }
  }
  for (const limit of grant.details.tokens?.limits ?? []) {
    holds.push({
      subject: grant.id,
      kind: 'tokens',
      periodKey: key(limit.period),
      cap: limit.tokens,
      amount: worst.tokens,
    });
  }
  return holds;
}

/**
 * A limit of the grant or the wallet changed between reading the grant and reserving (spec
 * MTR-34): nothing was held, and the call must be planned again from the stored limits.
 */
export class LimitsChanged extends Error {
  constructor() {
    super('the limits changed while the call was planned');
  }
}

/** Reserves atomically, or throws the refusal the spec gives (MTR-19, REV-5), or {@link LimitsChanged}. */
export async function reserveBudget(
  store: Store,
  call: {
    id: string;
    grant: { id: string; accountId: string; clientId: string; limitsVersion: number };
    walletLimitsVersion: number;
    providerId: string;
    model: string;
    /** For the ledger row: the endpoint, whether streamed, the app's address. */
    endpoint: string;
    stream: boolean;
    clientAddress: string | null;
  },
  holds: Hold[],
  worst: WorstCase,
  currency: string,
  now: number,
  deadlineMs: number,
): Promise<void> {
  const outcome = await reserve(store, {
    id: call.id,
    grantId: call.grant.id,
    accountId: call.grant.accountId,
    clientId: call.grant.clientId,
    providerId: call.providerId,
    model: call.model,
    holds,
    moneyMicros: worst.moneyMicros ?? 0,
    tokens: worst.tokens,
    now,
    deadline: now + deadlineMs,
    endpoint: call.endpoint,
    stream: call.stream,
    clientAddress: call.clientAddress,
    limitsVersion: { grant: call.grant.limitsVersion, wallet: call.walletLimitsVersion },
  });
  if (outcome.ok) return;
  switch (outcome.reason) {
    case 'limits_changed':
      throw new LimitsChanged();
    case 'grant_unknown':
      throw new GatewayError('invalid_token', 'The access token names no grant of this wallet.', {
        challengeError: 'invalid_token',
      });
    case 'grant_revoked':
      throw new GatewayError('grant_revoked', 'The user revoked this app’s allowance.', {
        challengeError: 'invalid_token',
      });
    case 'grant_expired':
      throw new GatewayError('grant_expired', 'This allowance has expired.', {
        challengeError: 'invalid_token',
      });
    case 'grant_suspended':
      throw new GatewayError('grant_suspended', 'The user suspended this allowance.');
    case 'limit_reached': {
      const { hold, spent, reserved } = outcome;
      const left = Math.max(0, hold.cap - spent - reserved);
      const wallet = hold.subject.startsWith('wallet:');
      if (hold.kind === 'money') {
        throw new GatewayError(
          'budget_exhausted',
          `This call could cost up to ${formatMoney(hold.amount)} ${currency}; ${wallet ? 'the wallet’s monthly cap' : `the grant’s ${hold.periodKey.split(':')[0]} limit`} has ${formatMoney(left)} ${currency} left.`,
        );
      }
      throw new GatewayError(
        'token_budget_exhausted',
        `This call could use up to ${hold.amount} tokens; the grant’s ${hold.periodKey.split(':')[0]} token limit has ${left} left.`,
      );
    }
  }
}
