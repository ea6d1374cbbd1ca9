import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateMasterKey } from './sealing.js';

/** Where the master key came from, for the start-up message. */
export type MasterKeySource = 'environment' | 'file' | 'created';

/**
 * The wallet's master key: from `ALLOWANCE_MASTER_KEY` (base64 or base64url of 32 bytes) when
 * set, else from `<data directory>/master.key`, created with mode 0600 on first start. It never
 * enters the database. A key file readable by others is refused rather than used.
 */
export function loadMasterKey(
  dataDirectory: string,
  environment: NodeJS.ProcessEnv = process.env,
): { key: Uint8Array; source: MasterKeySource; path?: string } {
  const fromEnvironment = environment.ALLOWANCE_MASTER_KEY;
  if (fromEnvironment) {
    return { key: decode(fromEnvironment, 'ALLOWANCE_MASTER_KEY'), source: 'environment' };
  }
  const path = join(dataDirectory, 'master.key');
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new Error(
        `${path} is readable by other users (mode ${mode.toString(8)}). Run: chmod 600 ${JSON.stringify(path)}`,
      );
    }
    return { key: decode(readFileSync(path, 'utf8').trim(), path), source: 'file', path };
  }
  mkdirSync(dataDirectory, { recursive: true });
  const key = generateMasterKey();
  writeFileSync(path, `${Buffer.from(key).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, source: 'created', path };
}

function decode(text: string, where: string): Uint8Array {
  const bytes = Buffer.from(text.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, ''), 'base64url');
  if (bytes.length !== 32) {
    throw new Error(
      `${where} must hold 32 bytes in base64 (openssl rand -base64 32); it holds ${bytes.length}.`,
    );
  }
  return bytes;
}
