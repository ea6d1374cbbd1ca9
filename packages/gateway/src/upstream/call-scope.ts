/**
 * The life of one upstream call: one signal that aborts when the app goes away or when the call
 * has run out of time, and which of the two happened. `end()` must be called when the call is
 * over, so that no timer outlives it.
 */
export class CallScope {
  /** Aborts on the app's signal or on the call deadline; pass it to every wait. */
  readonly signal: AbortSignal;
  readonly #clientSignal: AbortSignal;
  readonly #deadline = new AbortController();
  readonly #timer: NodeJS.Timeout;

  constructor(clientSignal: AbortSignal, timeoutMs: number) {
    this.#clientSignal = clientSignal;
    this.#timer = setTimeout(() => this.#deadline.abort(), timeoutMs);
    this.signal = AbortSignal.any([clientSignal, this.#deadline.signal]);
  }

  /** Whether the app went away (it wins over the deadline when both happened). */
  get clientAborted(): boolean {
    return this.#clientSignal.aborted;
  }

  /** Whether the whole-call time limit ran out. */
  get timedOut(): boolean {
    return this.#deadline.signal.aborted && !this.#clientSignal.aborted;
  }

  /** Stops the deadline timer. */
  end(): void {
    clearTimeout(this.#timer);
  }
}
