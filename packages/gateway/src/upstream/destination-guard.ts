import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import {
  checkConnectedAddress,
  checkProviderBaseUrl,
  classifyHost,
  type DestinationPolicy,
  type DestinationProblem,
} from '@allowance/protocol';
import type { UpstreamTarget } from './upstream-call.js';
import type { UpstreamFailure } from './upstream-failure.js';

/** The `code` of the error the connect-time check fails a connection with. */
export const DESTINATION_REFUSED = 'ALLOWANCE_DESTINATION_REFUSED';

/** A connection refused because the address it would reach is not allowed (spec SEC-8). */
export class DestinationRefusedError extends Error {
  readonly code = DESTINATION_REFUSED;
  constructor(
    readonly problem: DestinationProblem,
    message: string,
  ) {
    super(message);
    this.name = 'DestinationRefusedError';
  }
}

/**
 * The refusal of a target whose base URL alone shows that its key must not go there: `http` to a
 * host that is not loopback (spec SEC-7), a forbidden or, without the owner's choice, private
 * address (SEC-8). `undefined` when the URL may be used; its name is then checked at connect time.
 */
export function destinationFailure(target: UpstreamTarget): UpstreamFailure | undefined {
  const verdict = baseUrlVerdict(target.baseUrl, target.privateNetworkAllowed === true);
  if (verdict.ok) return undefined;
  return refusedFailure(target, verdict.problem, verdict.message);
}

// Checking a URL costs a few microseconds and every call checks its provider's twice (at step 7
// and before sending); the verdict depends on the URL and the choice only, so it is kept.
const VERDICT_LIMIT = 1_000;
const verdicts = new Map<string, ReturnType<typeof checkProviderBaseUrl>>();

function baseUrlVerdict(baseUrl: string, privateNetworkAllowed: boolean) {
  const key = `${privateNetworkAllowed ? 1 : 0}${baseUrl}`;
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = checkProviderBaseUrl(baseUrl, { privateNetworkAllowed });
    if (verdicts.size >= VERDICT_LIMIT) verdicts.clear();
    verdicts.set(key, verdict);
  }
  return verdict;
}

/** The failure of a call whose destination was refused, before or at connect time. */
export function refusedFailure(
  target: UpstreamTarget,
  problem: DestinationProblem,
  detail: string,
): UpstreamFailure {
  return {
    kind: 'refused',
    problem,
    message: `The key of provider "${target.providerId}" was not sent: ${detail}`,
  };
}

/**
 * A `lookup` for `net.connect` that resolves with `resolve` and lets the connection go on only if
 * every address it got is allowed for the name being connected to under `policy` (spec SEC-8
 * rule 4). The check runs on the very answer the socket then connects to, so a name whose answers
 * change between two look-ups (DNS rebinding) cannot slip an address past it. IP literals never
 * reach a lookup; {@link destinationFailure} has checked them already.
 */
export function guardedLookup(
  policy: DestinationPolicy,
  // Looked up at each call, as `net` itself does, so that a resolver installed later is used.
  resolve: LookupFunction = (hostname, options, callback) => dns.lookup(hostname, options, callback),
): LookupFunction {
  return (hostname, options, callback) => {
    const typed = classifyHost(hostname);
    resolve(hostname, { ...options, all: true }, (error, resolved, family) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const addresses =
        typeof resolved === 'string' ? [{ address: resolved, family: family ?? 0 }] : (resolved ?? []);
      for (const { address } of addresses) {
        const verdict = checkConnectedAddress(address, typed, policy);
        if (!verdict.ok) {
          const message = `${hostname} resolved to ${address}: ${verdict.message}`;
          callback(new DestinationRefusedError(verdict.problem, message), '', 0);
          return;
        }
      }
      const [first] = addresses;
      if (first === undefined) {
        callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
        return;
      }
      // Answered in the form asked for: all addresses when the socket tries each (autoSelectFamily).
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

const PROBLEM_TEXT: Readonly<Record<DestinationProblem, string>> = {
  invalid_url: 'it is not a valid https:// URL',
  unsupported_scheme: 'it is not an https:// URL',
  credentials_in_url: 'it has a user name or password in it',
  cleartext: 'it uses http:// to a host that is not loopback, so the key would travel unencrypted',
  forbidden_address: 'it leads to a link-local, cloud metadata or other address keys are never sent to',
  private_address: 'it leads into a private network, which the wallet owner has not allowed for this key',
};

/**
 * What the app is told when its call is refused for its provider's destination (spec GW-13 with
 * SEC-7, SEC-8): 503 `provider_unavailable`, with what the wallet's owner must fix, but not the
 * addresses involved, which are the owner's configuration.
 */
export function refusedDestinationMessage(
  providerId: string,
  problem: DestinationProblem | undefined,
): string {
  const reason = PROBLEM_TEXT[problem ?? 'invalid_url'];
  return (
    `The wallet did not send its key for provider "${providerId}" to the configured base URL: ${reason}. ` +
    'The wallet owner must correct that base URL on the dashboard. Nothing was billed.'
  );
}
