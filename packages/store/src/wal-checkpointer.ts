import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// SQLite's automatic checkpoint runs inside whichever COMMIT pushes the WAL past 1 000 pages,
// and its fsyncs then block the one event loop: every call in flight waits (BENCHMARKS.md, "Profiling and fixes": the p99).
// Instead the connection that serves calls never checkpoints (wal_autocheckpoint = 0), and one
// worker thread per process, with a connection of its own to each open database file, copies
// the WAL back into the database every CHECKPOINT_EVERY_MS (PASSIVE: it never blocks a writer).
// A WAL under constant writes is never fully copied, so it would only grow: when it passes
// RESTART_PAGES the worker asks the store for a short pause, in which no statement of this
// process runs, and checkpoints in RESTART mode, so that the next commit writes the WAL from its
// start again. The event loop stays free during the pause; only database work waits for it.

const CHECKPOINT_EVERY_MS = 100;
/**
 * About 40 MB of 4 KiB pages: a pause every thousand metered calls or so (a call writes about
 * 13 pages), of one fsync and the few frames written since the last pass.
 */
const RESTART_PAGES = 10_000;
/** A worker that does not answer within this is given up, and SQLite checkpoints as it used to. */
const PAUSE_TIMEOUT_MS = 2_000;

type ToWorker =
  | { type: 'open'; id: number; path: string; restartPages: number; everyMs: number }
  | { type: 'close'; id: number }
  | { type: 'paused'; id: number };
type FromWorker =
  | { type: 'opened' | 'closed' | 'resumed'; id: number }
  | { type: 'pause'; id: number }
  | { type: 'failed'; id: number; message: string };

/** What the checkpointer needs from the store: a way to run work with the connection to itself. */
export interface CheckpointHost {
  /** Runs `work` while no other statement of this process can reach the database. */
  exclusive(work: () => Promise<void>): Promise<void>;
  /** The worker failed: the store's own connection must checkpoint again, the old way. */
  fallBack(reason: string): void;
}

/** A database file's background checkpointing; close it before the store's own connection. */
export interface WalCheckpointer {
  close(): Promise<void>;
}

let shared:
  | { worker: Worker; next: number; listeners: Map<number, (message: FromWorker) => void> }
  | undefined;

function worker() {
  if (shared) return shared;
  const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3');
  const thread = new Worker(`(${checkpointLoop.toString()})(require, require('node:worker_threads'))`, {
    eval: true,
    workerData: { betterSqlite3 },
  });
  const state = { worker: thread, next: 1, listeners: new Map<number, (message: FromWorker) => void>() };
  thread.on('message', (message: FromWorker) => state.listeners.get(message.id)?.(message));
  thread.on('error', (error) => {
    for (const listener of state.listeners.values())
      listener({ type: 'failed', id: 0, message: String(error) });
    state.listeners.clear();
    if (shared === state) shared = undefined;
  });
  // The thread lives as long as the process (its connections, like every better-sqlite3 object
  // here, must never be collected: see retained-sqlite.ts) but keeps it alive only while an
  // answer is awaited. Unref'd after the listeners are on, since adding one refs its port.
  thread.unref();
  shared = state;
  return state;
}

/** Keeps the process alive until `answer` settles: the worker alone never does. */
async function awaiting<T>(answer: Promise<T>): Promise<T> {
  const thread = worker();
  waiting += 1;
  if (waiting === 1) thread.worker.ref();
  try {
    return await answer;
  } finally {
    waiting -= 1;
    if (waiting === 0) thread.worker.unref();
  }
}
let waiting = 0;

/**
 * Starts checkpointing `path` in the background. The caller has set `wal_autocheckpoint = 0` on
 * its own connection; `host.fallBack` is called if the worker cannot do the job.
 */
export async function startWalCheckpointer(
  path: string,
  host: CheckpointHost,
  /** For tests: when to restart the WAL, and how often to check it. */
  options: { restartPages?: number; everyMs?: number } = {},
): Promise<WalCheckpointer> {
  const state = worker();
  const id = state.next++;
  const send = (message: ToWorker) => state.worker.postMessage(message);
  let phase: 'opening' | 'running' | 'closing' | 'done' = 'opening';
  let opened: { resolve: () => void; reject: (error: Error) => void } | undefined;
  let closed: (() => void) | undefined;
  let resumed: (() => void) | undefined;
  let pausing: Promise<void> | undefined;
  const stop = (reason?: string) => {
    if (phase === 'done') return;
    phase = 'done';
    state.listeners.delete(id);
    if (reason !== undefined) host.fallBack(reason);
    resumed?.();
    closed?.();
    if (reason !== undefined) opened?.reject(new Error(reason));
  };
  // The worker asked for a pause: hold the store's connection until it has restarted the WAL.
  const pause = async () => {
    await host.exclusive(async () => {
      const done = new Promise<void>((resolve) => {
        resumed = resolve;
      });
      send({ type: 'paused', id });
      const timeout = setTimeout(() => stop('the checkpoint worker did not answer'), PAUSE_TIMEOUT_MS);
      await awaiting(done);
      clearTimeout(timeout);
      resumed = undefined;
    });
  };
  state.listeners.set(id, (message) => {
    switch (message.type) {
      case 'opened':
        phase = 'running';
        return opened?.resolve();
      case 'pause':
        if (phase !== 'running') return;
        pausing = pause()
          .catch((error: unknown) => stop(String(error)))
          .finally(() => {
            pausing = undefined;
          });
        return;
      case 'resumed':
        return resumed?.();
      case 'closed':
        return stop();
      case 'failed':
        return stop(message.message);
    }
  });
  await awaiting(
    new Promise<void>((resolve, reject) => {
      opened = { resolve, reject };
      send({
        type: 'open',
        id,
        path,
        restartPages: options.restartPages ?? RESTART_PAGES,
        everyMs: options.everyMs ?? CHECKPOINT_EVERY_MS,
      });
    }),
  );
  return {
    async close() {
      if (phase !== 'running') return;
      phase = 'closing';
      await pausing;
      await awaiting(
        new Promise<void>((resolve) => {
          closed = resolve;
          if (phase === 'done') return resolve();
          send({ type: 'close', id });
        }),
      );
    },
  };
}

/**
 * The worker's whole program, sent to it as source text (so it needs no file of its own, in the
 * sources as in the build): no closure over this module, only its two arguments.
 */
function checkpointLoop(require: NodeJS.Require, threads: typeof import('node:worker_threads')): void {
  const { parentPort, workerData } = threads as {
    parentPort: import('node:worker_threads').MessagePort;
    workerData: { betterSqlite3: string };
  };
  const Database = require(workerData.betterSqlite3) as typeof import('better-sqlite3');
  type Statement = import('better-sqlite3').Statement;
  type Open = {
    id: number;
    connection: import('better-sqlite3').Database;
    passive: Statement;
    restart: Statement;
    restartPages: number;
    everyMs: number;
    pausing: boolean;
    timer?: ReturnType<typeof setTimeout>;
  };
  // Never collected, even once closed: better-sqlite3's finalizers can abort the process.
  const retained: object[] = [];
  const open = new Map<number, Open>();
  const CATCH_UP_FRAMES = 256;
  const post = (message: FromWorker) => parentPort.postMessage(message);

  const passive = (entry: Open) => entry.passive.get() as { busy: number; log: number };
  const tick = (entry: Open) => {
    if (!open.has(entry.id) || entry.pausing) return;
    try {
      let { log } = passive(entry);
      if (log >= entry.restartPages) {
        // Catch up first, while the store still runs: each pass copies what was written during
        // the one before, so the pause is left with only the last few frames to copy.
        for (let pass = 0; pass < 8; pass += 1) {
          const previous = log;
          log = passive(entry).log;
          if (log - previous < CATCH_UP_FRAMES) break;
        }
        entry.pausing = true;
        post({ type: 'pause', id: entry.id });
        return;
      }
    } catch (error) {
      // SQLITE_BUSY from another process's checkpoint, say: try again next time.
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') return fail(entry, error);
    }
    entry.timer = setTimeout(tick, entry.everyMs, entry);
  };
  const fail = (entry: Open, error: unknown) => {
    open.delete(entry.id);
    try {
      entry.connection.close();
    } catch {}
    post({ type: 'failed', id: entry.id, message: String(error) });
  };

  parentPort.on('message', (message: ToWorker) => {
    if (message.type === 'open') {
      try {
        const connection = new Database(message.path);
        retained.push(connection);
        // A short wait: only another process can hold the database while this one is paused.
        connection.exec('PRAGMA busy_timeout = 200;');
        const passive = connection.prepare('PRAGMA wal_checkpoint(PASSIVE)');
        const restart = connection.prepare('PRAGMA wal_checkpoint(RESTART)');
        retained.push(passive, restart);
        const entry: Open = {
          id: message.id,
          connection,
          passive,
          restart,
          restartPages: message.restartPages,
          everyMs: message.everyMs,
          pausing: false,
        };
        open.set(message.id, entry);
        entry.timer = setTimeout(tick, entry.everyMs, entry);
        post({ type: 'opened', id: message.id });
      } catch (error) {
        post({ type: 'failed', id: message.id, message: String(error) });
      }
      return;
    }
    const entry = open.get(message.id);
    if (!entry) return post({ type: message.type === 'paused' ? 'resumed' : 'closed', id: message.id });
    if (message.type === 'close') {
      clearTimeout(entry.timer);
      open.delete(entry.id);
      entry.connection.close();
      post({ type: 'closed', id: entry.id });
      return;
    }
    // The store has paused: nothing of this process touches the file until `resumed`.
    try {
      entry.restart.get();
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') {
        post({ type: 'resumed', id: entry.id });
        return fail(entry, error);
      }
    }
    entry.pausing = false;
    post({ type: 'resumed', id: entry.id });
    entry.timer = setTimeout(tick, entry.everyMs, entry);
  });
}
