import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MODULES } from '../modules/index.js';
import { computeCoverage, coverageMarkdown } from './coverage-report.js';
import { readSpecRequirements } from './spec-requirements.js';

const spec = fileURLToPath(new URL('../../../spec', import.meta.url));
const coverageFile = fileURLToPath(new URL('../../COVERAGE.md', import.meta.url));

describe('coverage of spec requirements', () => {
  const requirements = readSpecRequirements(spec);

  it('reads every requirement id the spec README counts', () => {
    expect(requirements.length).toBe(188);
    expect(new Set(requirements.map((requirement) => requirement.id)).size).toBe(188);
    expect(requirements.find((requirement) => requirement.id === 'SEC-4')?.level).toBe('should');
    expect(requirements.find((requirement) => requirement.id === 'GW-14')?.level).toBe('must');
  });

  it('cites no id that the spec does not define', () => {
    expect(computeCoverage(requirements, MODULES).unknownIds).toEqual([]);
  });

  it('has an up-to-date COVERAGE.md (regenerate with `node conformance/dist/bin.js coverage`)', () => {
    expect(readFileSync(coverageFile, 'utf8')).toBe(coverageMarkdown(requirements, MODULES));
  });

  it('gives every check at least one requirement and a unique name within its module', () => {
    for (const module of MODULES) {
      for (const [name, check] of Object.entries(module.checks)) {
        expect([module.name, name, check.requirements.length > 0]).toEqual([module.name, name, true]);
      }
    }
    expect(new Set(MODULES.map((module) => module.name)).size).toBe(MODULES.length);
  });
});
