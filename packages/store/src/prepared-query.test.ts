import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { preparedQuery } from './prepared-query.js';
import { insertGrant, temporaryStore } from './test-support.js';

type TestStore = Awaited<ReturnType<typeof temporaryStore>>;
let store: TestStore;

beforeEach(async () => {
  store = await temporaryStore();
  await insertGrant(store, 'grant-1');
  await insertGrant(store, 'grant-2', { status: 'suspended' });
});
afterEach(async () => {
  await store.close();
});

describe('preparedQuery', () => {
  const status = preparedQuery<{ id: string }, { status: string }>((database, slot) =>
    database.selectFrom('grants').select('status').where('id', '=', slot('id')),
  );

  it('runs the same compiled query with new values each time', async () => {
    expect((await status(store.database, { id: 'grant-1' })).rows).toEqual([{ status: 'active' }]);
    expect((await status(store.database, { id: 'grant-2' })).rows).toEqual([{ status: 'suspended' }]);
    expect((await status(store.database, { id: 'nobody' })).rows).toEqual([]);
  });

  it('runs inside a write transaction, on its connection', async () => {
    const rename = preparedQuery<{ reason: string; id: string }, never>((database, slot) =>
      database
        .updateTable('grants')
        .set({ status_reason: slot('reason') })
        .where('id', '=', slot('id')),
    );
    await store.writeTransaction(async (transaction) => {
      const result = await rename(transaction, { id: 'grant-1', reason: 'because' });
      expect(Number(result.numAffectedRows)).toBe(1);
    });
    const row = await store.database
      .selectFrom('grants')
      .select('status_reason')
      .where('id', '=', 'grant-1')
      .executeTakeFirst();
    expect(row?.status_reason).toBe('because');
  });

  it('never reads inside a transaction another caller holds open, and waits for its commit', async () => {
    const gate = () => {
      let open = () => {};
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      return { promise, resolve: () => open() };
    };
    const gates = [gate(), gate()] as const;
    const suspend = (database: typeof store.database) =>
      database.updateTable('grants').set({ status: 'suspended' }).where('id', '=', 'grant-1').execute();
    // The store's own write transaction, and one of Kysely's, each paused between statements.
    const writing = store.writeTransaction(async (transaction) => {
      await suspend(transaction);
      await gates[0].promise;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const reading = status(store.database, { id: 'grant-1' });
    let read = false;
    void reading.then(() => {
      read = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(read).toBe(false);
    gates[0].resolve();
    await writing;
    expect((await reading).rows).toEqual([{ status: 'suspended' }]);

    const kysely = store.database.transaction().execute(async (transaction) => {
      await transaction.updateTable('grants').set({ status: 'active' }).where('id', '=', 'grant-1').execute();
      await gates[1].promise;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const again = status(store.database, { id: 'grant-1' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    gates[1].resolve();
    await kysely;
    expect((await again).rows).toEqual([{ status: 'active' }]);
  });

  it('never writes into a transaction another caller holds open, so its rollback keeps the write', async () => {
    const note = preparedQuery<{ reason: string; id: string }, never>((database, slot) =>
      database
        .updateTable('grants')
        .set({ status_reason: slot('reason') })
        .where('id', '=', slot('id')),
    );
    let proceed = () => {};
    const paused = new Promise<void>((resolve) => {
      proceed = resolve;
    });
    const failing = store.writeTransaction(async (transaction) => {
      await transaction
        .updateTable('grants')
        .set({ status: 'revoked' })
        .where('id', '=', 'grant-1')
        .execute();
      await paused;
      throw new Error('changed my mind');
    });
    await new Promise((resolve) => setImmediate(resolve));
    const noting = note(store.database, { id: 'grant-2', reason: 'kept' });
    proceed();
    await expect(failing).rejects.toThrow('changed my mind');
    await noting;
    const rows = await store.database
      .selectFrom('grants')
      .select(['id', 'status', 'status_reason'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 'grant-1', status: 'active', status_reason: null },
      { id: 'grant-2', status: 'suspended', status_reason: 'kept' },
    ]);
  });

  it('binds a slot used twice, in order', async () => {
    const either = preparedQuery<{ first: string; second: string }, { id: string }>((database, slot) =>
      database
        .selectFrom('grants')
        .select('id')
        .where((where) => where.or([where('id', '=', slot('second')), where('id', '=', slot('first'))]))
        .orderBy('id'),
    );
    const { rows } = await either(store.database, { first: 'grant-2', second: 'grant-1' });
    expect(rows.map((row) => row.id)).toEqual(['grant-1', 'grant-2']);
  });

  it('binds any other value as a constant, the same on every run', async () => {
    const active = preparedQuery<{ id: string }, { id: string }>((database, slot) =>
      database.selectFrom('grants').select('id').where('status', '=', 'active').where('id', '=', slot('id')),
    );
    expect((await active(store.database, { id: 'grant-1' })).rows).toEqual([{ id: 'grant-1' }]);
    expect((await active(store.database, { id: 'grant-2' })).rows).toEqual([]);
  });

  it('refuses a slot that does not reach the SQL as a parameter', async () => {
    const inlined = preparedQuery<{ id: string }, { id: string }>((database, slot) =>
      database
        .selectFrom('grants')
        .select('id')
        .where('id', '=', sql.lit(slot('id'))),
    );
    await expect(async () => inlined(store.database, { id: 'grant-1' })).rejects.toThrow(/inlined/);
  });
});
