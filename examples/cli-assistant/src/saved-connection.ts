import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SavedConnection } from '@allowance/client';

/** `$XDG_CONFIG_HOME/allowance-cli-assistant`, or `~/.config/allowance-cli-assistant`. */
export function defaultConfigDirectory(environment: NodeJS.ProcessEnv = process.env): string {
  return join(environment.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'allowance-cli-assistant');
}

/** The saved connection, if this user connected before. */
export function readSavedConnection(directory: string): SavedConnection | undefined {
  const path = join(directory, 'connection.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as SavedConnection) : undefined;
}

/**
 * Saves the connection (its refresh token rotates on every refresh) readable by this user only:
 * the file is a credential to their wallet.
 */
export function writeSavedConnection(directory: string, saved: SavedConnection): void {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const path = join(directory, 'connection.json');
  writeFileSync(path, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}
