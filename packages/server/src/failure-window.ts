/**
 * Failures counted per key over a sliding window: past `limit` failures within `windowMs`, a
 * key waits until its oldest counted failure leaves the window. In memory: a wallet runs one
 * authorization server process. Keys with no recent failure are forgotten.
 */
export class FailureWindow {
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  record(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.now());
    this.#failures.set(key, recent);
  }

  clear(key: string): void {
    this.#failures.delete(key);
  }

  /** Milliseconds until this key may try again under `limit`; 0 if it may now. */
  wait(key: string, limit: number): number {
    const recent = this.#recent(key);
    if (recent.length < limit) return 0;
    const oldestCounted = recent[recent.length - limit] ?? this.now();
    return Math.max(1, oldestCounted + this.windowMs - this.now());
  }

  #recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((time) => time > cutoff);
    if (recent.length === 0) this.#failures.delete(key);
    return recent;
  }
}
