import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startWalCheckpointer } from './wal-checkpointer.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A writer like the store's: WAL, no automatic checkpoint, a transaction at a time. */
function writer() {
  const folder = mkdtempSync(join(tmpdir(), 'allowance-wal-'));
  folders.push(folder);
  const path = join(folder, 'wallet.sqlite');
  const connection = new SqliteDatabase(path);
  connection.exec(
    'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT)',
  );
  return { path, connection, insert: connection.prepare('INSERT INTO rows (body) VALUES (?)') };
}

const walBytes = (path: string) => statSync(`${path}-wal`).size;

describe('startWalCheckpointer', () => {
  it('keeps the WAL of a busy writer bounded, pausing the writer only between its transactions', async () => {
    const { path, connection, insert } = writer();
    let pauses = 0;
    let paused: Promise<void> | undefined;
    const checkpointer = await startWalCheckpointer(
      path,
      {
        async exclusive(work) {
          pauses += 1;
          paused = work();
          await paused;
          paused = undefined;
        },
        fallBack: (reason) => {
          throw new Error(`fell back: ${reason}`);
        },
      },
      { restartPages: 200, everyMs: 5 },
    );
    const body = 'x'.repeat(3000);
    // 5 000 transactions of a page or more each, at most five a millisecond (twice a busy
    // gateway's rate): twenty-five times the restart threshold.
    let largestWal = 0;
    for (let index = 0; index < 5_000; index += 1) {
      if (paused) await paused;
      insert.run(body);
      if (index % 5 === 0) {
        largestWal = Math.max(largestWal, walBytes(path));
        await sleep(1);
      }
    }
    await checkpointer.close();

    expect(pauses).toBeGreaterThan(3);
    // Without the worker this WAL would hold all 5 000 transactions (over 20 MB).
    expect(largestWal).toBeLessThan(4 * 1024 * 1024);
    expect(connection.prepare('SELECT count(*) AS n FROM rows').get()).toEqual({ n: 5_000 });
    connection.close();
    const reopened = new SqliteDatabase(path);
    expect(reopened.prepare('SELECT count(*) AS n FROM rows').get()).toEqual({ n: 5_000 });
    expect(reopened.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    reopened.close();
  });

  it('tells the store to checkpoint by itself again when the worker cannot open the file', async () => {
    const reasons: string[] = [];
    await expect(
      startWalCheckpointer(join(tmpdir(), 'allowance-missing', 'no', 'such.sqlite'), {
        exclusive: (work) => work(),
        fallBack: (reason) => reasons.push(reason),
      }),
    ).rejects.toThrow(/unable to open|directory does not exist/i);
    expect(reasons).toHaveLength(1);
  });
});
