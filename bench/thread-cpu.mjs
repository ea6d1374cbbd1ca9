#!/usr/bin/env node
// CPU time a call of each thread of the measured process, over one run of JSON calls at
// concurrency 50: the main thread apart from V8's GC helpers and the WAL checkpoint worker. For
// before/after comparisons of gateway changes, where throughput is too noisy on a shared machine:
// run it against two builds, alternately. THREAD_REPLICA=1 measures an `allowance gateway`
// replica instead of `allowance serve`; THREAD_SECONDS (6) sets the length.
// `node bench/thread-cpu.mjs` (after `npm run build`).
import { jsonLoad } from './lib/load.mjs';
import { threadCpuTimesMs } from './lib/processes.mjs';
import { meteredTarget } from './lib/wallet.mjs';

const SECONDS = Number(process.env.THREAD_SECONDS ?? 6);
const replica = process.env.THREAD_REPLICA === '1';
const target = await meteredTarget({ replica, email: 'threads@example.com' });
const { measured, load } = target;
await jsonLoad({ ...load, connections: 20, seconds: 2 });
const pid = measured.process.pid;
const before = threadCpuTimesMs(pid);
const run = await jsonLoad({ ...load, connections: 50, seconds: SECONDS });
const after = threadCpuTimesMs(pid);
await target.close();

const perCall = (ms) => Math.round((ms * 1000) / run.requests);
const threads = [...after].map(([thread, ms]) => ({ thread, us: perCall(ms - (before.get(thread) ?? 0)) }));
const main = threads.find(({ thread }) => thread === pid)?.us ?? 0;
const others = threads.filter(({ thread, us }) => thread !== pid && us > 0).sort((a, b) => b.us - a.us);
process.stdout.write(
  `${JSON.stringify({
    measured: replica ? 'replica' : 'serve',
    calls: run.requests,
    rps: Math.round(run.rps),
    main_thread_us_per_call: main,
    other_threads_us_per_call: others.map(({ us }) => us),
    total_us_per_call: main + others.reduce((sum, { us }) => sum + us, 0),
  })}\n`,
);
