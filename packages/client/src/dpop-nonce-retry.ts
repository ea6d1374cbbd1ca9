import * as oauth from 'oauth4webapi';

/**
 * Runs a DPoP-protected request to the wallet, retrying once with the fresh nonce when the wallet
 * asks for one (RFC 9449 §8, spec [DPOP-5]); oauth4webapi's DPoP handle has already cached it.
 */
export async function withDpopNonceRetry<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (oauth.isDPoPNonceError(error)) return run();
    throw error;
  }
}
