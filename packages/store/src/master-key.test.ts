import { chmodSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMasterKey } from './master-key.js';

describe('loadMasterKey', () => {
  it('creates a 0600 key file once, then reads the same key back', () => {
    const folder = mkdtempSync(join(tmpdir(), 'allowance-key-'));
    const first = loadMasterKey(folder, {});
    expect(first.source).toBe('created');
    expect(statSync(join(folder, 'master.key')).mode & 0o777).toBe(0o600);
    const second = loadMasterKey(folder, {});
    expect(second.source).toBe('file');
    expect(Buffer.from(second.key)).toEqual(Buffer.from(first.key));
    expect(readFileSync(join(folder, 'master.key'), 'utf8').trim()).toHaveLength(43);
  });

  it('prefers the environment, and refuses keys of the wrong size', () => {
    const key = Buffer.alloc(32, 7);
    const loaded = loadMasterKey('/nonexistent', { ALLOWANCE_MASTER_KEY: key.toString('base64') });
    expect(loaded.source).toBe('environment');
    expect(Buffer.from(loaded.key).equals(key)).toBe(true);
    expect(() => loadMasterKey('/nonexistent', { ALLOWANCE_MASTER_KEY: 'c2hvcnQ=' })).toThrow(/32 bytes/);
  });

  it('refuses a key file others can read, and says how to fix it', () => {
    const folder = mkdtempSync(join(tmpdir(), 'allowance-key-'));
    loadMasterKey(folder, {});
    chmodSync(join(folder, 'master.key'), 0o644);
    expect(() => loadMasterKey(folder, {})).toThrow(/chmod 600/);
  });
});
