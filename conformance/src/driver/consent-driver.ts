/** Where a driver operation ended: a redirect to the app, or a wallet page. */
export type DriverOutcome =
  | { readonly kind: 'redirect'; readonly location: URL }
  | { readonly kind: 'page'; readonly status: number; readonly html: string; readonly url: string };

/** Where the simulated providers live, for the driver to store as the test user's credentials. */
export interface SimulatedProvider {
  readonly id: string;
  readonly baseURL: string;
  readonly apiKey: string;
}

/** A ledger row as the driver reads it from the wallet's database (spec §6.6 field names). */
export type LedgerRow = Readonly<Record<string, unknown>>;

/** What the user approves: an `ai_allowance` object (possibly broader than asked, to test narrowing). */
export type Approval = Record<string, unknown>;

/**
 * The adapter through which the suite plays the user (spec 8.2). Optional operations are absent
 * when an implementation's driver cannot do them; checks needing them are reported as skipped.
 */
export interface ConsentDriver extends AsyncDisposable {
  readonly profile: string;
  /** Whether `approve` can submit an approval other than the request as shown. */
  readonly canNarrow: boolean;
  /** Signs the test user in and stores the simulated providers' credentials. */
  prepare(providers: readonly SimulatedProvider[]): Promise<void>;
  /** Opens an authorization URL as the logged-in user: the consent page, or a redirect without one. */
  open(authorizationUrl: string): Promise<DriverOutcome>;
  /** Approves the open consent page, as is or with `approval` filled in. */
  approve(approval?: Approval, options?: { remember?: boolean }): Promise<DriverOutcome>;
  /** Denies the open consent page. */
  deny(): Promise<DriverOutcome>;
  /** Approves with the anti-CSRF token removed. */
  approveWithoutCsrf?(): Promise<DriverOutcome>;
  /** Approves or denies a confirmation at its URL (spec 8.2 `confirm`). */
  confirm?(url: string, decision: 'approve' | 'deny'): Promise<void>;
  /**
   * Enters a device flow at `verification_uri_complete` and approves or denies it (spec 8.2
   * `device`); returns the HTML of every page shown before the decision (code check, consent).
   */
  device?(
    verificationUri: string,
    decision: 'approve' | 'deny',
  ): Promise<{ pagesShown: string; outcome: DriverOutcome }>;
  /** Suspends or resumes a grant as the user would in the dashboard (spec 8.2 `admin`). */
  setGrantSuspended?(grantId: string, suspended: boolean): Promise<void>;
  /** Sets a grant's IP allowlist (CIDR blocks; empty removes it) in the dashboard (spec 8.2 `admin`). */
  setAddressAllowlist?(grantId: string, blocks: readonly string[]): Promise<void>;
  /** Revokes a grant as the user would in the dashboard. */
  revokeGrant?(grantId: string): Promise<void>;
  /**
   * Replaces a grant's allowance with a narrower one, as the user would in the dashboard (spec 8.2
   * `admin`, "edits a grant"); `approval` lists what is kept and the new, lower limits.
   */
  setGrantLimits?(grantId: string, approval: Approval): Promise<void>;
  /** Sets the wallet-wide cap per month (`null` removes it), as the user would (spec 8.2 `admin`). */
  setWalletCap?(amount: string | null): Promise<void>;
  /**
   * What every app of the wallet spent this calendar month, as the owner reads it on the wallet's
   * own pages (a money string in the wallet currency), so that a check can set a cap relative to
   * spend it did not make itself ([MTR-35]).
   */
  walletSpendThisMonth?(): Promise<string>;
  /**
   * Sets the user's price for one model, in the wallet's currency per million tokens, or removes
   * it with `null` so that the shipped default applies again (spec 8.2 `admin`, "edits a price").
   */
  setPrice?(provider: string, model: string, price: { input: string; output: string } | null): Promise<void>;
  /** Sets the wallet's time zone (IANA name) and returns the previous one. */
  setTimeZone?(timeZone: string): Promise<string>;
  /** Deletes the user's credential for a provider, or stores it again (as `prepare` did). */
  setProviderCredential?(provider: SimulatedProvider, present: boolean): Promise<void>;
  /**
   * Stops the wallet's gateway abruptly, as a crash would, and starts it again (spec 8.2);
   * resolves once it answers requests.
   */
  restart?(): Promise<void>;
  /**
   * The ledger rows of a grant (spec §6.6), read from the wallet's database, with its columns
   * named as in the spec's table where they mean the same thing; columns the wallet lacks are absent.
   */
  ledger?(grantId: string): Promise<readonly LedgerRow[]>;
  /**
   * Every `Set-Cookie` line the wallet's origin sent the driver's browser so far, as sent: after
   * sign-in and consent they include the session cookie, whose attributes [SEC-10] governs.
   */
  setCookieLines?(): Promise<readonly string[]>;
  /** Signs an access token with the wallet's key, for token negatives only a key holder can build. */
  signAccessToken?(header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}
