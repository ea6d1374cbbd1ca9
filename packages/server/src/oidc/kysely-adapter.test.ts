import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSealer,
  generateMasterKey,
  type OidcModelsTable,
  openStore,
  rewriteLegacyOidcModels,
  type Store,
} from '@allowance/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kyselyAdapter } from './kysely-adapter.js';
import { createOidcRecordSealing, type OidcRecordSealing, sealLegacyRow } from './oidc-record-sealing.js';

// Spec SEC-14: the adapter keeps no usable token, code or session id in its table.

let folder: string;
let store: Store;
let records: OidcRecordSealing;
let Adapter: ReturnType<typeof kyselyAdapter>;
const seconds = () => Math.floor(Date.now() / 1000);
const token = () => randomBytes(32).toString('base64url');

const keysOf = (masterKey: Uint8Array) => ({
  sealer: createSealer(masterKey),
  indexKey: randomBytes(32),
});

beforeEach(async () => {
  folder = mkdtempSync(join(tmpdir(), 'allowance-adapter-'));
  store = await openStore({ sqlite: join(folder, 'wallet.sqlite') });
  records = createOidcRecordSealing(keysOf(generateMasterKey()));
  Adapter = kyselyAdapter(store, records);
});
afterEach(async () => {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
});

const rows = () => store.database.selectFrom('oidc_models').selectAll().execute();

/** Whether any database file (the file, its -wal and -shm) holds `value` as text. */
const inDatabaseFiles = (value: string) =>
  readdirSync(folder).some((name) => readFileSync(join(folder, name)).includes(Buffer.from(value, 'utf8')));

describe('the oidc-provider adapter', () => {
  it('finds a refresh token by its value, though the table holds neither the value nor the payload', async () => {
    const refresh = new Adapter('RefreshToken');
    const value = token();
    const payload = {
      jti: value,
      grantId: 'gr_1',
      accountId: 'acc_1',
      jkt: 'thumbprint-1',
      kind: 'RefreshToken',
    };
    await refresh.upsert(value, payload, 3600);
    expect(await refresh.find(value)).toEqual(payload);
    expect(await refresh.find(token())).toBeUndefined();

    const [row] = await rows();
    expect(row).toMatchObject({ model: 'RefreshToken', grant_id: 'gr_1', uid: null, user_code: null });
    expect(row?.id).not.toBe(value);
    expect(row?.id).toBe(records.index('RefreshToken', 'id', value));
    expect(row?.payload).toMatch(/^v1\./);
    for (const secret of [value, 'thumbprint-1', 'acc_1']) expect(row?.payload).not.toContain(secret);
    expect(inDatabaseFiles(value)).toBe(false);
  });

  it('consumes once, and saving a consumed record again does not revive it', async () => {
    const codes = new Adapter('AuthorizationCode');
    const value = token();
    await codes.upsert(value, { jti: value, grantId: 'gr_1', kind: 'AuthorizationCode' }, 60);
    await codes.consume(value);
    const consumed = await codes.find(value);
    expect(consumed?.consumed).toBeTypeOf('number');
    await codes.upsert(value, { jti: value, grantId: 'gr_1', kind: 'AuthorizationCode' }, 60);
    expect((await codes.find(value))?.consumed).toBe(consumed?.consumed);
  });

  it('destroys by value, and revokes every record of a grant by its id', async () => {
    const refresh = new Adapter('RefreshToken');
    const [first, second, other] = [token(), token(), token()];
    await refresh.upsert(first, { jti: first, grantId: 'gr_1' }, 3600);
    await refresh.upsert(second, { jti: second, grantId: 'gr_1' }, 3600);
    await refresh.upsert(other, { jti: other, grantId: 'gr_2' }, 3600);
    await refresh.destroy(first);
    expect(await refresh.find(first)).toBeUndefined();
    expect(await refresh.find(second)).toBeDefined();
    await refresh.revokeByGrantId('gr_1');
    expect(await refresh.find(second)).toBeUndefined();
    expect(await refresh.find(other)).toMatchObject({ grantId: 'gr_2' });
  });

  it('finds a session by its uid and a device code by its user code, both stored as keyed hashes', async () => {
    const sessions = new Adapter('Session');
    const [sessionId, uid] = [token(), token()];
    await sessions.upsert(sessionId, { jti: sessionId, uid, accountId: 'acc_1' }, 3600);
    expect(await sessions.findByUid(uid)).toMatchObject({ jti: sessionId, uid });
    expect(await sessions.findByUid(token())).toBeUndefined();

    const devices = new Adapter('DeviceCode');
    const deviceCode = token();
    await devices.upsert(deviceCode, { jti: deviceCode, userCode: 'WDJBMJHT', grantId: 'gr_3' }, 600);
    expect(await devices.findByUserCode('WDJBMJHT')).toMatchObject({ jti: deviceCode });
    expect(await devices.findByUserCode('WDJBMJHX')).toBeUndefined();

    const stored = await rows();
    expect(stored.map((row) => row.uid).filter(Boolean)).toEqual([records.index('Session', 'uid', uid)]);
    expect(stored.map((row) => row.user_code).filter(Boolean)).toEqual([
      records.index('DeviceCode', 'userCode', 'WDJBMJHT'),
    ]);
    for (const secret of [sessionId, uid, deviceCode, 'WDJBMJHT'])
      expect(inDatabaseFiles(secret)).toBe(false);
  });

  it("seals a registered client's secret", async () => {
    const clients = new Adapter('Client');
    const secret = token();
    // oidc-provider saves a registered client without a lifetime.
    const forever = undefined as unknown as number;
    await clients.upsert('registered-app', { client_id: 'registered-app', client_secret: secret }, forever);
    expect(await clients.find('registered-app')).toMatchObject({ client_secret: secret });
    expect(inDatabaseFiles(secret)).toBe(false);
  });

  it('keeps the Grant under its grant id, in JSON, as the dashboard reads it', async () => {
    const grants = new Adapter('Grant');
    await grants.upsert(
      'gr_9',
      { jti: 'gr_9', accountId: 'acc_1', clientId: 'app', exp: 2_000_000_000 },
      3600,
    );
    const [row] = await rows();
    expect(row).toMatchObject({ model: 'Grant', id: 'gr_9' });
    expect(JSON.parse(row?.payload ?? '')).toMatchObject({ exp: 2_000_000_000 });
    expect(await grants.find('gr_9')).toMatchObject({ accountId: 'acc_1' });
  });

  it('treats a payload moved to another row, or sealed under another master key, as absent', async () => {
    const refresh = new Adapter('RefreshToken');
    const [victim, attacker] = [token(), token()];
    await refresh.upsert(victim, { jti: victim, grantId: 'gr_1', accountId: 'acc_victim' }, 3600);
    await refresh.upsert(attacker, { jti: attacker, grantId: 'gr_2', accountId: 'acc_attacker' }, 3600);
    const victimRow = records.index('RefreshToken', 'id', victim);
    const { payload } = await store.database
      .selectFrom('oidc_models')
      .select('payload')
      .where('id', '=', victimRow)
      .executeTakeFirstOrThrow();
    await store.database
      .updateTable('oidc_models')
      .set({ payload })
      .where('id', '=', records.index('RefreshToken', 'id', attacker))
      .execute();
    expect(await refresh.find(attacker)).toBeUndefined();

    const UnderAnotherKey = kyselyAdapter(store, createOidcRecordSealing(keysOf(generateMasterKey())));
    expect(await new UnderAnotherKey('RefreshToken').find(victim)).toBeUndefined();
  });
});

describe('rows an older release kept in clear (migration 0008)', () => {
  const legacyTable = () =>
    store.database.withTables<{ oidc_models_legacy: OidcModelsTable }>().insertInto('oidc_models_legacy');
  const legacyRow = (
    row: Partial<OidcModelsTable> & Pick<OidcModelsTable, 'model' | 'id'>,
  ): OidcModelsTable => ({
    payload: JSON.stringify({ jti: row.id }),
    grant_id: null,
    user_code: null,
    uid: null,
    expires_at: seconds() + 3600,
    consumed_at: null,
    ...row,
  });

  it('are rewritten at start-up: tokens keep working, and no plain copy is left in the files', async () => {
    const consumedAt = seconds() - 10;
    const [refreshToken, consumedToken, sessionId, uid, deviceCode, expiredCode, purged] = [
      token(),
      token(),
      token(),
      token(),
      token(),
      token(),
      token(),
    ];
    const clientSecret = token();
    // As migration 0008 left them: the old adapter's rows, moved aside as they were.
    await legacyTable()
      .values([
        legacyRow({
          model: 'RefreshToken',
          id: refreshToken,
          payload: JSON.stringify({ jti: refreshToken, grantId: 'gr_1', jkt: 'thumbprint-1' }),
          grant_id: 'gr_1',
        }),
        legacyRow({
          model: 'RefreshToken',
          id: consumedToken,
          payload: JSON.stringify({ jti: consumedToken, grantId: 'gr_1' }),
          grant_id: 'gr_1',
          consumed_at: consumedAt,
        }),
        legacyRow({ model: 'Session', id: sessionId, payload: JSON.stringify({ jti: sessionId, uid }), uid }),
        legacyRow({
          model: 'DeviceCode',
          id: deviceCode,
          payload: JSON.stringify({ jti: deviceCode, userCode: 'BCDFGHJK', grantId: 'gr_2' }),
          user_code: 'BCDFGHJK',
          grant_id: 'gr_2',
        }),
        legacyRow({ model: 'AuthorizationCode', id: expiredCode, expires_at: seconds() - 1 }),
        legacyRow({
          model: 'Client',
          id: 'registered-app',
          payload: JSON.stringify({ client_id: 'registered-app', client_secret: clientSecret }),
          expires_at: null,
        }),
        legacyRow({
          model: 'Grant',
          id: 'gr_1',
          payload: JSON.stringify({ jti: 'gr_1', accountId: 'acc_1' }),
        }),
      ])
      .execute();
    // A row the old adapter had already purged: its bytes linger in the file's free space.
    await legacyTable()
      .values(legacyRow({ model: 'RefreshToken', id: purged }))
      .execute();
    await store.database
      .withTables<{ oidc_models_legacy: OidcModelsTable }>()
      .deleteFrom('oidc_models_legacy')
      .where('id', '=', purged)
      .execute();
    expect(inDatabaseFiles(refreshToken)).toBe(true);
    expect(inDatabaseFiles(purged)).toBe(true);

    const result = await rewriteLegacyOidcModels(store, (row) => sealLegacyRow(records, row, seconds()));
    expect(result).toEqual({ rewritten: 6, dropped: 1 });

    const refresh = new Adapter('RefreshToken');
    expect(await refresh.find(refreshToken)).toMatchObject({ grantId: 'gr_1', jkt: 'thumbprint-1' });
    expect((await refresh.find(consumedToken))?.consumed).toBe(consumedAt);
    expect(await new Adapter('Session').findByUid(uid)).toMatchObject({ jti: sessionId });
    expect(await new Adapter('DeviceCode').findByUserCode('BCDFGHJK')).toMatchObject({ jti: deviceCode });
    expect(await new Adapter('AuthorizationCode').find(expiredCode)).toBeUndefined();
    expect(await new Adapter('Client').find('registered-app')).toMatchObject({ client_secret: clientSecret });
    expect(await new Adapter('Grant').find('gr_1')).toMatchObject({ accountId: 'acc_1' });
    await refresh.revokeByGrantId('gr_1');
    expect(await refresh.find(refreshToken)).toBeUndefined();

    for (const secret of [
      refreshToken,
      consumedToken,
      sessionId,
      uid,
      deviceCode,
      expiredCode,
      purged,
      clientSecret,
    ])
      expect(inDatabaseFiles(secret), secret).toBe(false);

    // Done once: the table that marked the work is gone.
    expect(await rewriteLegacyOidcModels(store, () => undefined)).toBeUndefined();
  });
});
