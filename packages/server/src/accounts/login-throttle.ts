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
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until a try is allowed for this account from this address; 0 if allowed now. */
  retryAfter(email: string, address: string): number {
    return Math.max(
      this.#wait(`account:${email.toLowerCase()}`, this.policy.perAccount),
      this.#wait(`address:${address}`, this.policy.perAddress),
    );
  }

  recordFailure(email: string, address: string): void {
    for (const key of [`account:${email.toLowerCase()}`, `address:${address}`]) {
      const recent = this.#recent(key);
      recent.push(this.now());
      this.#failures.set(key, recent);
    }
  }

  recordSuccess(email: string): void {
    this.#failures.delete(`account:${email.toLowerCase()}`);
  }

  #recent(key: string): number[] {
    const cutoff = this.now() - this.policy.windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((time) => time > cutoff);
    if (recent.length === 0) this.#failures.delete(key);
    return recent;
  }

  #wait(key: string, limit: number): number {
    const recent = this.#recent(key);
    if (recent.length < limit) return 0;
    const oldestCounted = recent[recent.length - limit] ?? this.now();
    return Math.max(1, oldestCounted + this.policy.windowMs - this.now());
  }
}
