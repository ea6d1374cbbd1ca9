import type { AccessTokenClaims } from '@allowance/protocol';
import {
  type ConfiguredProvider,
  findGrantWithWallet,
  type GrantRecord,
  type SealedCredential,
  type Store,
  type WalletSettings,
} from '@allowance/store';
import { GatewayError } from './gateway-error.js';

/** The grant behind a token, its wallet, and the providers the wallet has keys for. */
export interface GrantContext {
  grant: GrantRecord;
  wallet: WalletSettings;
  providers: ConfiguredProvider[];
  /** The providers' keys as stored (sealed), read with the grant; opened only to forward. */
  credentials: ReadonlyMap<string, SealedCredential>;
}

/**
 * Step 4 of the pipeline (spec 05-gateway, REV-5): the grant as it is stored now, which may be
 * narrower than the token's copy (a user lowered a limit) and may be dead. The reservation
 * checks liveness again atomically; this check gives the precise refusal early.
 */
export async function loadGrant(
  store: Store,
  claims: AccessTokenClaims,
  now: number,
  /** `GET /v1/allowance` answers for a suspended grant too, with its status (spec REV-5). */
  options: { allowSuspended?: boolean } = {},
): Promise<GrantContext> {
  // The grant, the wallet and its keys in one read (BENCHMARKS.md, "Profiling and fixes" 6).
  const found = await findGrantWithWallet(store, claims.grant_id);
  if (!found || found.grant.clientId !== claims.client_id) {
    throw new GatewayError('invalid_token', 'The access token names no grant of this wallet.', {
      challengeError: 'invalid_token',
    });
  }
  const { grant, wallet, providers, credentials } = found;
  if (grant.status === 'revoked') {
    throw new GatewayError(
      'grant_revoked',
      'The user revoked this app’s allowance. Ask the user to connect again.',
      {
        challengeError: 'invalid_token',
      },
    );
  }
  if (grant.expiresAt <= now) {
    throw new GatewayError(
      'grant_expired',
      `This allowance expired at ${grant.details.expires_at}. Ask the user to connect again.`,
      {
        challengeError: 'invalid_token',
      },
    );
  }
  if (grant.status === 'suspended' && !options.allowSuspended) {
    throw new GatewayError(
      'grant_suspended',
      `The user suspended this allowance${grant.statusReason ? `: ${grant.statusReason}` : ''}.`,
    );
  }
  if (!wallet)
    throw new GatewayError('invalid_token', 'The access token names no wallet.', {
      challengeError: 'invalid_token',
    });
  return { grant, wallet, providers, credentials };
}
