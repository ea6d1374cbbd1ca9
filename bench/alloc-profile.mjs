#!/usr/bin/env node
// How much a metered call allocates, and where: V8's sampling heap profiler in an `allowance
// gateway` replica over a run of JSON calls at concurrency 50, as KB a call, with the functions
// that allocate most. Allocation drives how often the young-generation GC runs, and so the p99.
// `node bench/alloc-profile.mjs` (after `npm run build`); ALLOC_SECONDS (3) sets the length.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLoad } from './lib/load.mjs';
import { meteredTarget } from './lib/wallet.mjs';

const SECONDS = Number(process.env.ALLOC_SECONDS ?? 3);
const out = join(tmpdir(), `allowance-alloc-${process.pid}.heapprofile`);
process.env.HEAP_SAMPLING_OUT = out;
const target = await meteredTarget({
  replica: true,
  replicaNodeArgs: ['--import', fileURLToPath(new URL('./lib/heap-sampling.mjs', import.meta.url))],
  email: 'alloc@example.com',
});
const { measured: replica, load } = target;
const waitFor = async (text) => {
  for (let tries = 0; tries < 100 && !replica.process.output().includes(text); tries += 1)
    await new Promise((resolve) => setTimeout(resolve, 50));
};
await jsonLoad({ ...load, connections: 10, seconds: 1 });
process.kill(replica.process.pid, 'SIGUSR1');
await waitFor('heap sampling started');
const run = await jsonLoad({ ...load, connections: 50, seconds: SECONDS });
process.kill(replica.process.pid, 'SIGUSR2');
await waitFor('heap sampling written');
await target.close();

const profile = JSON.parse(readFileSync(out, 'utf8'));
rmSync(out, { force: true });
const bySelf = new Map();
let total = 0;
const visit = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = `${functionName || '(anonymous)'} ${url.replace(/.*node_modules\//, '').replace(/.*packages\//, '')}:${lineNumber + 1}`;
  bySelf.set(where, (bySelf.get(where) ?? 0) + node.selfSize);
  total += node.selfSize;
  for (const child of node.children) visit(child);
};
visit(profile.head);
const kb = (bytes) => Math.round((bytes / run.requests / 1024) * 100) / 100;
process.stdout.write(
  `${JSON.stringify(
    {
      calls: run.requests,
      kb_per_call: kb(total),
      top: [...bySelf]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(([where, bytes]) => `${kb(bytes)} KB ${where}`),
    },
    null,
    2,
  )}\n`,
);
