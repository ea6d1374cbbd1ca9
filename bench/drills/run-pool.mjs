// Runs `count` tasks with at most `concurrency` in flight, and waits for the books to settle.

/** Calls `task(index)` for every index below `count`, `concurrency` at a time; results in order. */
export async function runPool(count, concurrency, task) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** Resolves once no reservation is open (calls the app abandoned settle a moment later), or after `timeoutMs`. */
export async function reservationsDrained(database, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = await database.selectFrom('reservations').select('id').execute();
    if (open.length === 0 || Date.now() > until) return open.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
