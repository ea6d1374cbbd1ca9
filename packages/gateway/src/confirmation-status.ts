import { type ConfirmationState, confirmationState, findConfirmation, type Store } from '@allowance/store';
import { confirmationObject } from './check-confirmation.js';
import { GatewayError } from './gateway-error.js';
import type { GrantContext } from './load-grant.js';

/** Where `GET /v1/confirmations/{id}` starts, after the gateway's base path. */
export const CONFIRMATION_STATUS_PATH = '/v1/confirmations/';

/** What `GET /v1/confirmations/{id}` answers. */
export interface ConfirmationStatusBody {
  id: string;
  /** `pending` until the user decides; `used` once a retried call went through with it. */
  status: ConfirmationState;
  url: string;
  expires_at: string;
  estimated_max_cost: string;
}

/**
 * `GET /v1/confirmations/{id}`, with the app's access token: where one of its grant's
 * confirmations stands, so an app can wait for the user's decision without retrying the call
 * itself (an extension of spec 06-metering §6.10; retrying the call stays the portable way). Any
 * other grant's confirmation, or an unknown id, is 404 `not_found`.
 *
 * @example
 * // in the gateway's serve(), after authentication:
 * return sendJson(response, 200, await confirmationStatus(store, context, path, issuer, now()), CORS);
 */
export async function confirmationStatus(
  store: Store,
  context: GrantContext,
  path: string,
  issuer: string,
  now: number,
): Promise<ConfirmationStatusBody> {
  const id = path.startsWith(CONFIRMATION_STATUS_PATH) ? path.slice(CONFIRMATION_STATUS_PATH.length) : '';
  const confirmation = /^cf_[A-Za-z0-9_-]{1,64}$/.test(id) ? await findConfirmation(store, id) : undefined;
  if (!confirmation || confirmation.grantId !== context.grant.id)
    throw new GatewayError('not_found', 'This grant has no such confirmation.');
  return { ...confirmationObject(issuer, confirmation), status: confirmationState(confirmation, now) };
}
