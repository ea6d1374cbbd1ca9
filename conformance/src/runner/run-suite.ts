import type { ConformanceModule, ModuleContext, SuiteContext } from '../model/module.js';
import type { CheckKind, CheckResult, Exchange, RequirementStatus, RunReport } from '../model/types.js';
import { CheckFailure, CheckSkipped } from './check-failure.js';
import { collectExchanges } from './exchange-log.js';

const EVIDENCE_LIMIT = 6;
const DERIVATION_LIMIT = 24;

/**
 * The evidence a result keeps: the last exchanges, and every note of how an expected value was
 * derived (`noteDerivation`), which would otherwise be pushed out by the exchanges after it.
 */
function keptEvidence(exchanges: readonly Exchange[]): Exchange[] {
  const derivation = (exchange: Exchange) => exchange.request.url.startsWith('derivation: ');
  const notes = exchanges.filter(derivation).slice(-DERIVATION_LIMIT);
  const last = exchanges.filter((exchange) => !derivation(exchange)).slice(-EVIDENCE_LIMIT);
  return exchanges.filter((exchange) => notes.includes(exchange) || last.includes(exchange));
}

/** Runs modules one after the other and gathers one result per declared check. */
export async function runModules(
  context: SuiteContext,
  modules: readonly ConformanceModule[],
  onResult: (result: CheckResult) => void = () => {},
  options: { runs?: (kind: CheckKind) => boolean } = {},
): Promise<CheckResult[]> {
  const runs = options.runs ?? (() => true);
  const results: CheckResult[] = [];
  for (const module of modules) {
    const done = new Map<string, CheckResult>();
    const record = (result: CheckResult) => {
      done.set(result.check, result);
      onResult(result);
    };
    // Checks of a kind this run leaves out (inspection, when off) are neither run nor reported.
    const included = (name: string) => runs(describe(module, name).kind);
    const moduleExchanges: Exchange[] = [];
    const moduleContext: ModuleContext = {
      ...context,
      check: async (name, observe) => {
        if (included(name)) await runCheck(module, name, observe, record);
      },
    };
    let setupError: unknown;
    try {
      await collectExchanges(moduleExchanges, () => module.run(moduleContext));
    } catch (error) {
      setupError = error;
    }
    for (const name of Object.keys(module.checks).filter(included)) {
      const result = done.get(name);
      if (result) {
        results.push(result);
        continue;
      }
      // A check the module never reached fails: its setup broke, which is itself non-conforming
      // (or a suite bug), and must not pass silently.
      const missing: CheckResult = {
        ...describe(module, name),
        result: 'fail',
        reason:
          setupError === undefined
            ? 'the module finished without running this check'
            : `not reached: ${setupError instanceof Error ? setupError.message : String(setupError)}`,
        evidence: keptEvidence(moduleExchanges),
        durationMs: 0,
      };
      results.push(missing);
      onResult(missing);
    }
  }
  return results;
}

function describe(module: ConformanceModule, name: string) {
  const declaration = module.checks[name];
  if (!declaration) throw new Error(`module ${module.name} ran an undeclared check ${name}`);
  return {
    module: module.name,
    plan: module.plan,
    check: name,
    requirements: declaration.requirements,
    severity: declaration.severity ?? 'failure',
    kind: declaration.kind ?? module.kind,
    summary: declaration.summary,
  } as const;
}

async function runCheck(
  module: ConformanceModule,
  name: string,
  observe: () => Promise<void>,
  record: (result: CheckResult) => void,
): Promise<void> {
  const evidence: Exchange[] = [];
  const started = performance.now();
  let outcome: Pick<CheckResult, 'result' | 'reason'>;
  try {
    await collectExchanges(evidence, observe);
    outcome = { result: 'pass' };
  } catch (error) {
    if (error instanceof CheckSkipped) outcome = { result: 'skip', reason: error.message };
    else if (error instanceof CheckFailure) outcome = { result: 'fail', reason: error.message };
    else
      outcome = {
        result: 'fail',
        reason: `error while checking: ${error instanceof Error ? error.message : String(error)}`,
      };
  }
  record({
    ...describe(module, name),
    ...outcome,
    evidence: keptEvidence(evidence),
    durationMs: Math.round(performance.now() - started),
  });
}

/** Requirement status per id (spec 8.3): fail if any citing check fails, untested if all skipped. */
export function requirementStatuses(results: readonly CheckResult[]): RequirementStatus[] {
  const byId = new Map<string, CheckResult[]>();
  for (const result of results) {
    for (const id of result.requirements) byId.set(id, [...(byId.get(id) ?? []), result]);
  }
  return [...byId.entries()]
    .sort(([a], [b]) => compareIds(a, b))
    .map(([id, checks]) => {
      const failed = checks.filter((check) => check.result === 'fail');
      const status = failed.some((check) => check.severity === 'failure')
        ? 'fail'
        : failed.length > 0
          ? 'warning'
          : checks.every((check) => check.result === 'skip')
            ? 'untested'
            : 'pass';
      return { id, status, checks: checks.map((check) => `${check.module}.${check.check}`) };
    });
}

/** Orders `GW-2` before `GW-10`. */
export function compareIds(a: string, b: string): number {
  const [prefixA = '', numberA = '0'] = a.split('-');
  const [prefixB = '', numberB = '0'] = b.split('-');
  return prefixA === prefixB ? Number(numberA) - Number(numberB) : prefixA.localeCompare(prefixB);
}

/** Builds the report of a run. */
export function buildReport(
  wallet: { issuer: string; gateway: string },
  results: readonly CheckResult[],
  startedAt: Date,
): RunReport {
  const failed = (severity: string) =>
    results.filter(
      (result) => result.result === 'fail' && result.severity === severity && !result.knownFailure,
    ).length;
  return {
    suite: '@allowance/conformance',
    specVersion: '1.0-draft',
    issuer: wallet.issuer,
    gateway: wallet.gateway,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    results,
    requirements: requirementStatuses(results),
    totals: {
      pass: results.filter((result) => result.result === 'pass').length,
      fail: failed('failure'),
      known: results.filter((result) => result.result === 'fail' && result.knownFailure).length,
      warning: failed('warning'),
      skip: results.filter((result) => result.result === 'skip').length,
    },
  };
}
