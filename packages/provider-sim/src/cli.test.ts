import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCliArguments, runCli } from './cli.js';
import { ConfigurationError } from './validate.js';

function fakeIo() {
  let written = '';
  const signals = new EventEmitter();
  return {
    io: { output: { write: (text: string) => (written += text) }, signals },
    signals,
    written: () => written,
  };
}

describe('parseCliArguments', () => {
  it('defaults to 127.0.0.1 and $PORT, else 8090', () => {
    expect(parseCliArguments([], {})).toEqual({
      host: '127.0.0.1',
      port: 8090,
      rulesFile: undefined,
      help: false,
    });
    expect(parseCliArguments([], { PORT: '9000' }).port).toBe(9000);
    expect(parseCliArguments(['--port', '0', '--host', '0.0.0.0'], { PORT: '9000' })).toMatchObject({
      host: '0.0.0.0',
      port: 0,
    });
  });

  it('rejects bad ports and unknown flags', () => {
    expect(() => parseCliArguments(['--port', 'http'], {})).toThrow(ConfigurationError);
    expect(() => parseCliArguments([], { PORT: '70000' })).toThrow(/PORT/);
    expect(() => parseCliArguments(['--verbose'], {})).toThrow(ConfigurationError);
  });
});

describe('runCli', () => {
  it('prints every provider with its base URL and key, and closes on SIGTERM', async () => {
    const { io, signals, written } = fakeIo();
    const sim = await runCli(['--port', '0'], {}, io);
    expect(sim).toBeDefined();
    const banner = written();
    expect(banner).toContain(`listening on ${sim?.url}`);
    expect(banner).toContain(`${sim?.url}/openai/v1  key sk-sim-openai`);
    expect(banner).toContain(`${sim?.url}/anthropic  key sk-ant-sim-anthropic`);
    expect(banner).toContain(`${sim?.url}/deepseek/v1  key sk-sim-deepseek`);
    signals.emit('SIGTERM');
    await expect(fetch(`${sim?.url}/openai/v1/models`)).rejects.toThrow();
    expect(signals.listenerCount('SIGINT')).toBe(0);
    expect(written()).toContain('Shutting down');
    await sim?.close();
  });

  it('loads starting rules from a file', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'provider-sim-'));
    try {
      const rulesFile = join(folder, 'rules.json');
      await writeFile(rulesFile, JSON.stringify([{ provider: 'openai', latencyMs: 5 }]));
      const sim = await runCli(['--port', '0', '--rules', rulesFile], {}, fakeIo().io);
      expect(sim?.rules).toEqual([{ provider: 'openai', latencyMs: 5 }]);
      await sim?.close();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('prints help without starting anything', async () => {
    const { io, written } = fakeIo();
    expect(await runCli(['--help'], {}, io)).toBeUndefined();
    expect(written()).toContain('Usage: allowance-provider-sim');
  });
});
