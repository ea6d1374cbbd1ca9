import { FailureWindow } from '../failure-window.js';

/** How many failed sign-ins are tolerated, per what, over how long. */
export interface ThrottlePolicy {
  /** Failures per account (by email) within the window before it is locked. */
  perAccount: number;
  /** Failures per client address within the window before it is locked. */
  perAddress: number;
  windowMs: number;
}

/** 5 tries per account and 20 per address in 15 minutes. */
export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = {
  perAccount: 5,
  perAddress: 20,
  windowMs: 15 * 60_000,
};

/**
 * Counts failed sign-ins per account and per client address and refuses further tries past a
 * limit until the window has passed since the oldest counted failure. A success clears the
 * account's count (not the address's, so one real account cannot reset an attacker's address).
 * In memory: a wallet runs one authorization server process.
 */
export class LoginThrottle {
  readonly #failures: FailureWindow;

  constructor(
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
    now: () => number = Date.now,
  ) {
    this.#failures = new FailureWindow(policy.windowMs, now);
  }

  /** Milliseconds until a try is allowed for this account from this address; 0 if allowed now. */
  retryAfter(email: string, address: string): number {
    return Math.max(
      this.#failures.wait(`account:${email.toLowerCase()}`, this.policy.perAccount),
      this.#failures.wait(`address:${address}`, this.policy.perAddress),
    );
  }

  recordFailure(email: string, address: string): void {
    this.#failures.record(`account:${email.toLowerCase()}`);
    this.#failures.record(`address:${address}`);
  }

  recordSuccess(email: string): void {
    this.#failures.clear(`account:${email.toLowerCase()}`);
  }
}
