import * as oauth from 'oauth4webapi';
import { abortableSleep } from './abortable-sleep.js';
import { AllowanceError } from './allowance-error.js';
import { type AllowanceRequest, resolveAllowanceRequest } from './allowance-request.js';
import { AuthorizationDeniedError, throwAsAllowanceError } from './authorization-errors.js';
import { type Connection, type ConnectionOptions, LiveConnection } from './connection.js';
import { generateDpopKey, publicClient } from './dpop-key.js';
import { withDpopNonceRetry } from './dpop-nonce-retry.js';
import { tokenStateFrom } from './token-state.js';
import type { WalletContext } from './wallet-context.js';

/** What `startDeviceAuthorization` takes. */
export interface DeviceAuthorizationOptions {
  /** The allowance to ask for. */
  allowance: AllowanceRequest;
  /** Bind the tokens to a new DPoP key (RFC 9449). Default: on for public clients (spec [DPOP-3]). */
  dpop?: boolean;
}

/** What `waitForApproval` takes. */
export interface WaitOptions extends ConnectionOptions {
  /** Stops waiting; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A device authorization in progress: show the code and the address, then wait. */
export interface DeviceAuthorization {
  /** The code the user checks on the wallet's page, such as `WDJB-MJHT`. */
  userCode: string;
  /** Where the user goes to enter the code. */
  verificationUri: string;
  /** The same page with the code filled in, when the wallet offers it (for a link or QR code). */
  verificationUriComplete: string | undefined;
  /** Seconds until the code expires. */
  expiresIn: number;
  /**
   * Polls the wallet at the interval it asked for until the user approves (a connection), denies
   * (`AuthorizationDeniedError`), or the code expires (`AllowanceError` `expired_token`).
   */
  waitForApproval(options?: WaitOptions): Promise<Connection>;
}

// RFC 8628 §3.2: the interval when the wallet gives none, and §3.5: how much `slow_down` adds.
const DEFAULT_INTERVAL_SECONDS = 5;
const SLOW_DOWN_SECONDS = 5;

/**
 * Starts the device authorization grant (RFC 8628, spec §2.10) for a CLI or a device without a
 * browser: the gateway as `resource`, one `ai_allowance` in `authorization_details`.
 */
export async function startDeviceAuthorization(
  context: WalletContext,
  options: DeviceAuthorizationOptions,
): Promise<DeviceAuthorization> {
  const { metadata, client, clientAuthentication, http } = context;
  if (!metadata.device_authorization_endpoint) {
    throw new AllowanceError('unsupported_grant_type', 'This wallet does not offer the device flow.');
  }
  const details = resolveAllowanceRequest(options.allowance, context.currency);
  let device: oauth.DeviceAuthorizationResponse;
  try {
    device = await oauth.processDeviceAuthorizationResponse(
      metadata,
      client,
      await oauth.deviceAuthorizationRequest(
        metadata,
        client,
        clientAuthentication,
        { resource: context.gateway, authorization_details: JSON.stringify([details]) },
        http,
      ),
    );
  } catch (error) {
    throwAsAllowanceError(error);
  }
  const dpop = (options.dpop ?? publicClient(client)) ? await generateDpopKey() : undefined;
  const handle = dpop && oauth.DPoP(client, dpop.keys);
  const deadline = context.now() + device.expires_in * 1000;

  const poll = () =>
    withDpopNonceRetry(async () =>
      oauth.processDeviceCodeResponse(
        metadata,
        client,
        await oauth.deviceCodeGrantRequest(metadata, client, clientAuthentication, device.device_code, {
          ...http,
          DPoP: handle,
        }),
      ),
    );

  let waiting: Promise<Connection> | undefined;
  const wait = async ({ signal, ...connectionOptions }: WaitOptions): Promise<Connection> => {
    let interval = device.interval ?? DEFAULT_INTERVAL_SECONDS;
    for (;;) {
      signal?.throwIfAborted();
      try {
        const tokens = await poll();
        return new LiveConnection(
          context,
          tokenStateFrom(tokens, context.now()),
          dpop?.json,
          connectionOptions,
        );
      } catch (error) {
        if (!(error instanceof oauth.ResponseBodyError)) throwAsAllowanceError(error);
        if (error.error === 'access_denied') {
          throw new AuthorizationDeniedError(error.error_description, { status: error.status, cause: error });
        }
        if (error.error === 'slow_down') interval += SLOW_DOWN_SECONDS;
        else if (error.error !== 'authorization_pending') throwAsAllowanceError(error);
      }
      if (context.now() + interval * 1000 > deadline) {
        throw new AllowanceError('expired_token', 'The user code expired before the user approved it.');
      }
      await abortableSleep(interval * 1000, signal);
    }
  };

  return {
    userCode: device.user_code,
    verificationUri: device.verification_uri,
    verificationUriComplete: device.verification_uri_complete,
    expiresIn: device.expires_in,
    waitForApproval(options = {}) {
      // One poller per device code: a second caller shares the first one's result, unless the
      // first gave up through its signal.
      waiting ??= wait(options).catch((error: unknown) => {
        if (options.signal?.aborted) waiting = undefined;
        throw error;
      });
      return waiting;
    },
  };
}
