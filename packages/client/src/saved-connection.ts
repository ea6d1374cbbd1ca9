import { type ApprovedAiAllowance, approvedAiAllowanceSchema } from '@allowance/protocol';
import { AllowanceError } from './allowance-error.js';
import type { DpopKeyPair } from './dpop-key.js';
import type { TokenState } from './token-state.js';

/**
 * A connection as JSON, to store between runs (`JSON.stringify(connection)`) and bring back with
 * `wallet.restoreConnection`. It holds the refresh token and, for a DPoP-bound connection, the
 * private key: store it as a secret (for example a file with mode 0600, or encrypted at rest).
 */
export interface SavedConnection {
  version: 1;
  issuer: string;
  clientId: string;
  grantId: string;
  /** The approved allowance, as of the last token response. */
  allowance: ApprovedAiAllowance;
  accessToken: string;
  tokenType: 'Bearer' | 'DPoP';
  /** When the access token expires, RFC 3339. */
  accessTokenExpiresAt: string;
  refreshToken?: string;
  /** The key the tokens are bound to, for a DPoP-bound connection. */
  dpopKey?: DpopKeyPair;
}

/** The JSON form of a connection's state. */
export function saveConnection(
  identity: { issuer: string; clientId: string },
  state: TokenState,
  dpopKey: DpopKeyPair | undefined,
): SavedConnection {
  return {
    version: 1,
    issuer: identity.issuer,
    clientId: identity.clientId,
    grantId: state.grantId,
    allowance: state.allowance,
    accessToken: state.accessToken,
    tokenType: state.tokenType === 'dpop' ? 'DPoP' : 'Bearer',
    accessTokenExpiresAt: new Date(state.expiresAt).toISOString(),
    ...(state.refreshToken !== undefined && { refreshToken: state.refreshToken }),
    ...(dpopKey && { dpopKey }),
  };
}

function invalid(message: string): AllowanceError {
  return new AllowanceError('invalid_saved_connection', message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Reads a saved connection back, refusing one that belongs to another wallet or client, or that
 * is not in the shape {@link saveConnection} writes.
 */
export function restoreState(
  saved: unknown,
  identity: { issuer: string; clientId: string },
): { state: TokenState; dpopKey: DpopKeyPair | undefined } {
  if (!isObject(saved) || saved.version !== 1) throw invalid('This is not a saved connection of version 1.');
  if (saved.issuer !== identity.issuer) {
    throw invalid(`This connection belongs to the wallet ${String(saved.issuer)}, not ${identity.issuer}.`);
  }
  if (saved.clientId !== identity.clientId) {
    throw invalid(
      `This connection belongs to the client ${String(saved.clientId)}, not ${identity.clientId}.`,
    );
  }
  const expiresAt = Date.parse(String(saved.accessTokenExpiresAt));
  const allowance = approvedAiAllowanceSchema.safeParse(saved.allowance);
  if (
    typeof saved.grantId !== 'string' ||
    typeof saved.accessToken !== 'string' ||
    (saved.tokenType !== 'Bearer' && saved.tokenType !== 'DPoP') ||
    Number.isNaN(expiresAt) ||
    (saved.refreshToken !== undefined && typeof saved.refreshToken !== 'string') ||
    !allowance.success
  ) {
    throw invalid('The saved connection is incomplete or malformed.');
  }
  const dpopKey = saved.dpopKey;
  if (
    dpopKey !== undefined &&
    !(isObject(dpopKey) && isObject(dpopKey.publicKey) && isObject(dpopKey.privateKey))
  ) {
    throw invalid('The saved DPoP key is malformed.');
  }
  if (saved.tokenType === 'DPoP' && dpopKey === undefined) {
    throw invalid('A DPoP-bound connection was saved without its key.');
  }
  return {
    state: {
      accessToken: saved.accessToken,
      tokenType: saved.tokenType === 'DPoP' ? 'dpop' : 'bearer',
      expiresAt,
      refreshToken: saved.refreshToken as string | undefined,
      grantId: saved.grantId,
      allowance: allowance.data,
    },
    dpopKey: dpopKey as DpopKeyPair | undefined,
  };
}
