import type { Approval, ConsentDriver, DriverOutcome, SimulatedProvider } from './consent-driver.js';
import type { OperatorClient } from './operator-client.js';

/** The owner's operations a driver may lack and the operator interface offers (spec 8.2 `admin`). */
const OWNER_OPERATIONS = [
  'confirm',
  'setGrantSuspended',
  'setAddressAllowlist',
  'revokeGrant',
  'setGrantLimits',
  'setWalletCap',
  'walletSpendThisMonth',
  'setPrice',
  'setTimeZone',
  'setProviderCredential',
  'ledger',
  'signAccessToken',
] as const;

/**
 * A consent driver backed by the wallet's test-mode operator interface (conformance/OPERATOR.md):
 * the page-level driver plays the user at the consent screen, and whatever it cannot do as the
 * owner (decide a confirmation, suspend, set the cap, read the ledger …) goes over the operator's
 * HTTP contract. With the operator, a driver that cannot fill in an approval narrows anyway: the
 * approval is staged for the client's next consent and the user then approves as shown.
 */
export function withOperator(
  base: ConsentDriver,
  operator: OperatorClient,
  user: { email: string; password: string },
  restart?: () => Promise<void>,
): ConsentDriver {
  let clientId: string | undefined;
  const driver: ConsentDriver = {
    profile: `${base.profile}+operator`,
    canNarrow: true,
    async prepare(providers: readonly SimulatedProvider[]) {
      await operator.prepare(user, providers);
      await base.prepare(providers);
    },
    open(authorizationUrl: string): Promise<DriverOutcome> {
      clientId = new URL(authorizationUrl).searchParams.get('client_id') ?? undefined;
      return base.open(authorizationUrl);
    },
    async approve(approval?: Approval, options?: { remember?: boolean }) {
      if (approval === undefined || base.canNarrow) return base.approve(approval, options);
      if (clientId === undefined)
        throw new Error('no consent was opened for a client to stage an approval for');
      await operator.stageApproval(clientId, approval);
      return base.approve(undefined, options);
    },
    deny: () => base.deny(),
    ...(base.approveWithoutCsrf && {
      approveWithoutCsrf: () => base.approveWithoutCsrf?.() as Promise<DriverOutcome>,
    }),
    ...(base.device && { device: base.device.bind(base) }),
    ...(base.setCookieLines && { setCookieLines: base.setCookieLines.bind(base) }),
    ...((restart ?? base.restart) && { restart: restart ?? base.restart }),
    close: () => base.close(),
    [Symbol.asyncDispose]: () => base.close(),
  };
  const filled = driver as unknown as Record<string, unknown>;
  for (const name of OWNER_OPERATIONS) {
    const own = base[name] as ((...args: never[]) => unknown) | undefined;
    const remote = operator[name] as (...args: never[]) => unknown;
    // The driver's own page operation when it has one: that is the owner's real path.
    filled[name] = own ? own.bind(base) : remote.bind(operator);
  }
  return driver;
}
