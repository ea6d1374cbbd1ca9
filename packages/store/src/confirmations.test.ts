import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ConfirmedCall,
  confirmationState,
  createConfirmation,
  decideConfirmation,
  findConfirmation,
  listPendingConfirmations,
  purgeExpiredConfirmations,
  restoreConfirmation,
  useConfirmation,
} from './confirmations.js';
import { openStore } from './database.js';
import { insertGrant, temporaryStore } from './test-support.js';

type TestStore = Awaited<ReturnType<typeof temporaryStore>>;
let store: TestStore;

beforeEach(async () => {
  store = await temporaryStore();
  await insertGrant(store, 'grant-1');
});
afterEach(async () => {
  await store.close();
});

const CALL: ConfirmedCall = {
  grantId: 'grant-1',
  providerId: 'openai',
  model: 'gpt-4.1',
  estimatedMaxMicros: 500_000,
};

async function approved(overrides: { expiresAt?: number } = {}) {
  const confirmation = await createConfirmation(store, {
    ...CALL,
    accountId: 'account-1',
    clientId: 'client-1',
    now: 0,
    expiresAt: overrides.expiresAt ?? 600_000,
  });
  expect(
    await decideConfirmation(store, {
      id: confirmation.id,
      accountId: 'account-1',
      decision: 'approved',
      now: 1,
    }),
  ).toBe(true);
  return confirmation;
}

describe('deciding a confirmation', () => {
  it('takes the owner’s first decision while pending and unexpired, and nothing else', async () => {
    const pending = await createConfirmation(store, {
      ...CALL,
      accountId: 'account-1',
      clientId: 'client-1',
      now: 0,
      expiresAt: 600_000,
    });
    expect(pending.id).toMatch(/^cf_[\w-]{22}$/);
    expect((await listPendingConfirmations(store, 'account-1', 1)).map((row) => row.id)).toEqual([
      pending.id,
    ]);
    expect(await listPendingConfirmations(store, 'account-2', 1)).toEqual([]);
    expect(await listPendingConfirmations(store, 'account-1', 600_000)).toEqual([]);

    const decide = (accountId: string, decision: 'approved' | 'denied', now = 1) =>
      decideConfirmation(store, { id: pending.id, accountId, decision, now });
    expect(await decide('account-2', 'approved')).toBe(false);
    expect(await decide('account-1', 'denied', 600_000)).toBe(false);
    expect(await decide('account-1', 'denied')).toBe(true);
    expect(await decide('account-1', 'approved')).toBe(false);
    const stored = await findConfirmation(store, pending.id);
    expect([stored?.status, stored?.decidedAt]).toEqual(['denied', 1]);
    expect(stored && confirmationState(stored, 2)).toBe('denied');
    expect(stored && confirmationState(stored, 600_000)).toBe('expired');
  });
});

describe('useConfirmation', () => {
  it('uses an approval once, for the same grant, provider and model at no higher cost, before expiry', async () => {
    const confirmation = await approved();
    const use = (changes: Partial<ConfirmedCall & { now: number }> = {}, callId = 'call-1') =>
      useConfirmation(store, { ...CALL, id: confirmation.id, callId, now: 1_000, ...changes });
    expect(await use({ grantId: 'grant-2' })).toBe(false);
    expect(await use({ providerId: 'azure' })).toBe(false);
    expect(await use({ model: 'gpt-4.1-mini' })).toBe(false);
    expect(await use({ estimatedMaxMicros: 500_001 })).toBe(false);
    expect(await use({ now: 600_000 })).toBe(false);
    expect(await use({ estimatedMaxMicros: 400_000 })).toBe(true);
    expect(await use({}, 'call-2')).toBe(false);
    const used = await findConfirmation(store, confirmation.id);
    expect([used?.status, used?.callId, used?.usedAt]).toEqual(['used', 'call-1', 1_000]);
  });

  it('never uses a pending or denied confirmation', async () => {
    const pending = await createConfirmation(store, {
      ...CALL,
      accountId: 'account-1',
      clientId: 'client-1',
      now: 0,
      expiresAt: 600_000,
    });
    expect(await useConfirmation(store, { ...CALL, id: pending.id, callId: 'c', now: 1 })).toBe(false);
    await decideConfirmation(store, { id: pending.id, accountId: 'account-1', decision: 'denied', now: 1 });
    expect(await useConfirmation(store, { ...CALL, id: pending.id, callId: 'c', now: 2 })).toBe(false);
  });

  it('is given back only by the call that used it', async () => {
    const confirmation = await approved();
    expect(await useConfirmation(store, { ...CALL, id: confirmation.id, callId: 'call-1', now: 1 })).toBe(
      true,
    );
    expect(await restoreConfirmation(store, { id: confirmation.id, callId: 'call-2' })).toBe(false);
    expect(await restoreConfirmation(store, { id: confirmation.id, callId: 'call-1' })).toBe(true);
    expect((await findConfirmation(store, confirmation.id))?.status).toBe('approved');
    expect(await useConfirmation(store, { ...CALL, id: confirmation.id, callId: 'call-3', now: 2 })).toBe(
      true,
    );
  });

  it('lets exactly one of many concurrent uses through, over separate connections', async () => {
    const confirmation = await approved();
    const others = await Promise.all([1, 2, 3].map(() => openStore({ sqlite: store.path })));
    try {
      const results = await Promise.all(
        [store, ...others, store, ...others].map((connection, index) =>
          useConfirmation(connection, { ...CALL, id: confirmation.id, callId: `call-${index}`, now: 1 }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    } finally {
      await Promise.all(others.map((other) => other.close()));
    }
  });

  it('lets exactly one process use each approval when several gateways race for them', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 30; index += 1) ids.push((await approved()).id);
    const fixture = fileURLToPath(new URL('./use-confirmation-child.test-fixture.mjs', import.meta.url));
    const run = (worker: number) =>
      new Promise<string[]>((resolve, reject) => {
        execFile(process.execPath, [fixture, store.path, String(worker), ...ids], (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as string[]),
        );
      });
    const used = (await Promise.all([run(1), run(2), run(3), run(4)])).flat();
    expect(used.sort()).toEqual([...ids].sort());
    const rows = await store.database
      .selectFrom('confirmations')
      .select(['status', 'call_id'])
      .where('id', 'in', ids)
      .execute();
    expect(rows.every((row) => row.status === 'used' && row.call_id !== null)).toBe(true);
  });
});

describe('purgeExpiredConfirmations', () => {
  it('drops confirmations a day past their expiry and keeps the rest', async () => {
    const old = await approved({ expiresAt: 1_000 });
    const recent = await approved({ expiresAt: 50_000_000 });
    expect(await purgeExpiredConfirmations(store, 1_000 + 86_400_000)).toBe(1);
    expect(await findConfirmation(store, old.id)).toBeUndefined();
    expect(await findConfirmation(store, recent.id)).toBeDefined();
  });
});
