/**
 * Requests per minute per grant as a token bucket (spec MTR, rate): a full bucket of
 * `requests_per_minute`, refilled at that many per minute. In memory, per gateway process.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one request from the grant's bucket; returns 0, or the milliseconds until one is free. */
  take(grantId: string, perMinute: number): number {
    const now = this.now();
    const bucket = this.#buckets.get(grantId) ?? { tokens: perMinute, at: now };
    const refilled = Math.min(perMinute, bucket.tokens + ((now - bucket.at) * perMinute) / 60_000);
    if (refilled >= 1) {
      this.#buckets.set(grantId, { tokens: refilled - 1, at: now });
      return 0;
    }
    this.#buckets.set(grantId, { tokens: refilled, at: now });
    if (this.#buckets.size > 100_000) this.#buckets.clear();
    return Math.ceil(((1 - refilled) * 60_000) / perMinute);
  }
}
