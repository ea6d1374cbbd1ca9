import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits `milliseconds`, or less if `signal` aborts first. Resolves `true` when the full time
 * passed and `false` when aborted; never rejects, and leaves no timer behind either way.
 */
export async function sleep(milliseconds: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (milliseconds <= 0) return true;
  try {
    await delay(milliseconds, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `signal` aborts. */
export function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * Spaces tokens `1000 / tokensPerSecond` ms apart from a fixed start, so per-write overheads do
 * not accumulate into drift. With no rate, every wait is immediate.
 */
export class TokenPacer {
  readonly #intervalMs: number;
  readonly #startedAt = performance.now();

  constructor(tokensPerSecond: number | undefined) {
    this.#intervalMs = tokensPerSecond === undefined || tokensPerSecond <= 0 ? 0 : 1000 / tokensPerSecond;
  }

  /** Total time `tokenCount` tokens take at this rate, in milliseconds. */
  durationOf(tokenCount: number): number {
    return tokenCount * this.#intervalMs;
  }

  /** Waits until token number `index` (0-based) is due; `false` when `signal` aborted. */
  async waitForToken(index: number, signal: AbortSignal): Promise<boolean> {
    if (this.#intervalMs === 0) return !signal.aborted;
    const dueAt = this.#startedAt + (index + 1) * this.#intervalMs;
    return sleep(dueAt - performance.now(), signal);
  }
}
