/**
 * Work written as a generator that yields between steps of well under a millisecond each, so
 * that it can run at once or in slices that let the event loop serve other requests (spec
 * MTR-14: counting a large prompt holds up no one).
 */
export type Steps<T> = Generator<void, T, void>;

/** How long {@link runInSlices} holds the event loop before it lets others run, in ms. */
export const SLICE_MS = 4;

/** Runs `steps` to the end at once, for callers that have no event loop to keep free. */
export function runAtOnce<T>(steps: Steps<T>): T {
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/** Runs `steps` in slices of about `sliceMs`, letting the event loop run in between. */
export async function runInSlices<T>(steps: Steps<T>, sliceMs: number = SLICE_MS): Promise<T> {
  let sliceStart = performance.now();
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}
