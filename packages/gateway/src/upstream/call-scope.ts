/**
 * The life of one upstream call: one signal that aborts when the app goes away or when the call
 * has run out of time, and which of the two happened. `end()` must be called when the call is
 * over, so that no timer outlives it.
 */
export class CallScope {
  /** Aborts on the app's signal or on the call deadline; pass it to every wait. */
  readonly signal: AbortSignal;
  readonly #clientSignal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #onClientAbort = () => this.#controller.abort(this.#clientSignal.reason);
  #timedOut = false;

  constructor(clientSignal: AbortSignal, timeoutMs: number) {
    this.#clientSignal = clientSignal;
    this.signal = this.#controller.signal;
    // One controller and one listener rather than AbortSignal.any, whose bookkeeping (weak
    // references and a finalization registry per signal) showed in the gateway's profile.
    if (clientSignal.aborted) this.#onClientAbort();
    else clientSignal.addEventListener('abort', this.#onClientAbort, { once: true });
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort();
    }, timeoutMs);
  }

  /** Whether the app went away (it wins over the deadline when both happened). */
  get clientAborted(): boolean {
    return this.#clientSignal.aborted;
  }

  /** Whether the whole-call time limit ran out. */
  get timedOut(): boolean {
    return this.#timedOut && !this.#clientSignal.aborted;
  }

  /** Stops the deadline timer and lets go of the app's signal. */
  end(): void {
    clearTimeout(this.#timer);
    this.#clientSignal.removeEventListener('abort', this.#onClientAbort);
  }
}
