import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig, readConfig } from './config.js';

const source = dirname(fileURLToPath(import.meta.url));
const manifest = JSON.parse(readFileSync(join(source, '..', 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
};

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the suite as a package of its own', () => {
  it('needs neither the reference wallet nor its store at run time', () => {
    expect(Object.keys(manifest.dependencies)).not.toContain('@allowance/cli');
    expect(Object.keys(manifest.dependencies)).not.toContain('@allowance/store');
    // Every package a shipped module imports statically is a runtime dependency; the self-test,
    // which starts the reference wallet, is reached only by a dynamic import (a development path).
    for (const file of sourceFiles(source).filter((path) => !path.includes('/self-test/'))) {
      const text = readFileSync(file, 'utf8');
      for (const [, name] of text.matchAll(/^import [^;]*? from '(@[^/']+\/[^/']+|[^.'][^/']*)/gm)) {
        if (name?.startsWith('node:')) continue;
        expect(Object.keys(manifest.dependencies), `${file} imports ${name}`).toContain(name);
      }
      expect(text, file).not.toMatch(/^import [^;]* from '\.\/self-test\//m);
    }
  });

  it('merges an expected-failures baseline into the known failures', () => {
    const directory = mkdtempSync(join(tmpdir(), 'conformance-baseline-'));
    writeFileSync(join(directory, 'expected-failures.json'), JSON.stringify({ 'token.no-store': 'not yet' }));
    writeFileSync(
      join(directory, 'conformance.json'),
      JSON.stringify({
        issuer: 'https://wallet.example',
        clients: { app: { client_id: 'app' } },
        user: { email: 'a@b.example', password: 'x' },
        driver: { profile: 'allowance' },
        expectedFailures: 'expected-failures.json',
        knownFailures: { 'par.required-par': 'documented' },
      }),
    );
    expect(readConfig(join(directory, 'conformance.json')).knownFailures).toEqual({
      'par.required-par': 'documented',
      'token.no-store': 'not yet',
    });
    writeFileSync(join(directory, 'expected-failures.json'), JSON.stringify({ 'token.no-store': 42 }));
    expect(() => readConfig(join(directory, 'conformance.json'))).toThrow(/must map "module.check"/);
  });

  it('ships example configurations that the suite accepts', () => {
    for (const file of ['conformance.example.json', 'examples/third-party.json']) {
      const path = join(source, '..', file);
      expect(() => readConfig(path), file).not.toThrow();
    }
  });

  it('asks for the operator token to be given', () => {
    const base = {
      issuer: 'https://wallet.example',
      clients: { app: { client_id: 'app' } },
      user: { email: 'a@b.example', password: 'x' },
      driver: { profile: 'allowance' },
    };
    expect(() => parseConfig({ ...base, operator: { url: 'http://127.0.0.1:9400' } })).toThrow(
      /token or tokenEnv/,
    );
    expect(() =>
      parseConfig({ ...base, operator: { url: 'http://127.0.0.1:9400', token: 'short' } }),
    ).toThrow();
  });
});
