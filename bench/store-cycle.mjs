#!/usr/bin/env node
// The store's share of a metered call, alone: a three-hold reservation and its settlement (with
// its ledger row), one after another on a fresh SQLite file, as the gateway runs them. Prints the
// CPU time a cycle takes (all threads, so the WAL checkpoint worker counts) and how much the old
// generation grows a cycle before a full GC, which is garbage the young-generation GC could not
// collect. For before/after comparisons of store changes: run it against two builds, alternately.
// `node --expose-gc bench/store-cycle.mjs [cycles]` (after `npm run build`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import { openStore, reserve, settle } from '@allowance/store';

const CYCLES = Number(process.argv[2] ?? 5_000);
if (typeof globalThis.gc !== 'function') {
  console.error('Run with node --expose-gc, so the old generation is measured from a clean start.');
  process.exit(2);
}
const folder = mkdtempSync(join(tmpdir(), 'allowance-store-cycle-'));
const store = await openStore({ sqlite: join(folder, 'wallet.sqlite') });
const now = Date.now();
await store.database
  .insertInto('grants')
  .values({
    id: 'gr_cycle',
    account_id: 'acc_cycle',
    client_id: 'app_cycle',
    oidc_grant_id: null,
    details: '{}',
    status: 'active',
    status_reason: null,
    require_dpop: 0,
    ip_allowlist: '[]',
    remember: 0,
    created_at: now,
    updated_at: now,
    expires_at: now + 86_400_000,
  })
  .execute();
const limit = (kind, periodKey) => ({ subject: 'gr_cycle', kind, periodKey, cap: 1e15, amount: 1_000 });
const holds = [
  limit('money', 'day:2026-12-01'),
  limit('money', 'month:2026-12'),
  limit('tokens', 'day:2026-12-01'),
];
let sequence = 0;

async function cycle() {
  sequence += 1;
  const id = `call_${sequence.toString(16).padStart(12, '0')}`;
  const reserved = await reserve(store, {
    id,
    grantId: 'gr_cycle',
    accountId: 'acc_cycle',
    clientId: 'app_cycle',
    providerId: 'openai',
    model: 'gpt-4.1-mini',
    holds,
    moneyMicros: 1_000,
    tokens: 1_000,
    now,
    deadline: now + 600_000,
    endpoint: 'chat.completions',
    stream: false,
    clientAddress: '127.0.0.1',
    limitsVersion: { grant: 0, wallet: 0 },
  });
  if (!reserved.ok) throw new Error(`refused: ${reserved.reason}`);
  await settle(store, {
    reservationId: id,
    moneyMicros: 500,
    tokens: 500,
    ledger: {
      input_tokens: 20,
      cached_input_tokens: 0,
      cache_write_tokens: 0,
      output_tokens: 32,
      status: 'ok',
      http_status: 200,
      error_code: null,
      latency_ms: 1,
      started_at: now,
      ended_at: now,
      first_byte_ms: null,
      upstream_request_id: 'req_cycle',
    },
  });
}

const oldSpace = () =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'old_space').space_used_size;
for (let warm = 0; warm < 500; warm += 1) await cycle();
globalThis.gc();
const oldBefore = oldSpace();
const cpuBefore = process.cpuUsage();
const started = performance.now();
for (let index = 0; index < CYCLES; index += 1) await cycle();
const elapsed = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const grown = oldSpace() - oldBefore;
await store.close();
rmSync(folder, { recursive: true, force: true });
console.log(
  JSON.stringify({
    cycles: CYCLES,
    wall_us_per_cycle: Math.round((elapsed * 1000) / CYCLES),
    cpu_us_per_cycle: Math.round((cpu.user + cpu.system) / CYCLES),
    old_space_growth_bytes_per_cycle: Math.round(grown / CYCLES),
  }),
);
