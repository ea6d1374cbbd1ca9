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
    expect(requirements.length).toBe(191);
    expect(new Set(requirements.map((requirement) => requirement.id)).size).toBe(191);
    expect(requirements.find((requirement) => requirement.id === 'SEC-4')?.level).toBe('should');
    expect(requirements.find((requirement) => requirement.id === 'GW-14')?.level).toBe('must');
  });

  it('cites every MUST of the spec in at least one check (spec 8.3)', () => {
    const uncovered = computeCoverage(requirements, MODULES).uncoveredMusts.map(
      (requirement) => requirement.id,
    );
    expect(uncovered).toEqual([]);
    // And the rule bites: without the recovery module, its MUST shows up uncovered.
    const withoutRecovery = MODULES.filter((module) => module.name !== 'recovery');
    expect(
      computeCoverage(requirements, withoutRecovery).uncoveredMusts.map((requirement) => requirement.id),
    ).toEqual(['MTR-26']);
  });

  it('cites no id that the spec does not define', () => {
    expect(computeCoverage(requirements, MODULES).unknownIds).toEqual([]);
  });

  it('has an up-to-date COVERAGE.md (regenerate with `node conformance/dist/bin.js coverage`)', () => {
    expect(readFileSync(coverageFile, 'utf8')).toBe(coverageMarkdown(requirements, MODULES));
  });

  it('reports a check as a warning exactly when it cites only SHOULD-level ids (spec 8.3)', () => {
    // Ids whose sentence holds a MUST and a SHOULD: the check of the SHOULD part is advisory.
    const shouldParts = new Set(['forwarding.no-account-headers']); // GW-20: SHOULD NOT relay account headers
    const level = new Map(requirements.map((requirement) => [requirement.id, requirement.level]));
    const misgraded = MODULES.flatMap((module) =>
      Object.entries(module.checks)
        .filter(([name, check]) => {
          const advisory =
            shouldParts.has(`${module.name}.${name}`) ||
            check.requirements.every((id) => level.get(id) === 'should');
          return (check.severity ?? 'failure') !== (advisory ? 'warning' : 'failure');
        })
        .map(
          ([name, check]) =>
            `${module.name}.${name} [${check.requirements.join(' ')}] ${check.severity ?? 'failure'}`,
        ),
    );
    expect(misgraded).toEqual([]);
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
