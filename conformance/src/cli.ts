import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ConformanceConfig, parseConfig, readConfig, withBaseline } from './config.js';
import type { CheckResult, RunReport } from './model/types.js';
import { MODULES } from './modules/index.js';
import { summaryTable } from './report/markdown-report.js';
import { coverageMarkdown } from './requirements/coverage-report.js';
import { readSpecRequirements } from './requirements/spec-requirements.js';
import { runConformance } from './runner/run-conformance.js';

const USAGE = `allowance-conformance — the Allowance 1.0-draft conformance suite

  allowance-conformance run --config conformance.json [--expected-failures file] [--module name ...]
  allowance-conformance self-test [--third-party] [--out directory] [--module name ...]
      (in the Allowance repository only) start Allowance and run against it; --third-party
      drives it only as any implementer can: Chromium, the operator interface, a restart command
  allowance-conformance coverage [--spec spec] [--out conformance/COVERAGE.md]
  allowance-conformance list                                              modules and their checks

Exit code: 0 when no check of severity "failure" failed and every expected failure still fails,
1 otherwise, 2 on a usage error.`;

function flag(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(`--${name}`);
  return index === -1 ? undefined : argv[index + 1];
}

function flags(argv: readonly string[], name: string): string[] {
  return argv.flatMap((value, index) => (argv[index - 1] === `--${name}` ? [value] : []));
}

const progress = (result: CheckResult) => {
  if (result.result === 'fail') {
    const label = result.knownFailure ? 'KNOWN' : result.severity === 'warning' ? 'warn' : 'FAIL';
    process.stdout.write(
      `  ${label} ${result.module}.${result.check} [${result.requirements.join(' ')}]: ${result.reason ?? ''}\n`,
    );
  }
};

function finish(report: RunReport, config: ConformanceConfig): number {
  const { totals } = report;
  process.stdout.write(
    `\n${summaryTable(report)}\n\n${report.results.length} checks ran: ${totals.pass} passed, ${totals.fail} failed, ${totals.known} expected failures, ${totals.warning} warnings, ${totals.skip} skipped${config.artefacts ? '' : ' (database and log inspection off)'}.\nReports: ${resolve(config.output.directory)}/results.json, report.md\n`,
  );
  // A baseline entry that passes now must go, so that the baseline only ever shrinks.
  const stale = report.results.filter(
    (result) => result.result === 'pass' && `${result.module}.${result.check}` in config.knownFailures,
  );
  for (const result of stale) {
    process.stdout.write(
      `Listed as an expected failure but passes now: ${result.module}.${result.check}; remove it from the baseline.\n`,
    );
  }
  return totals.fail > 0 || stale.length > 0 ? 1 : 0;
}

/** Runs the command line; resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [command] = argv;
  const modules = flags(argv, 'module');
  if (command === 'run') {
    const path = flag(argv, 'config');
    if (!path) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const baseline = flag(argv, 'expected-failures');
    let config = readConfig(path);
    if (baseline) config = withBaseline(config, resolve(baseline));
    const chosen = modules.length > 0 ? parseConfig({ ...config, modules }) : config;
    return finish(await runConformance(chosen, { onResult: progress }), chosen);
  }
  if (command === 'self-test') {
    process.env.LOG_LEVEL ??= 'error';
    // A development path: it starts the reference wallet, which only the repository has.
    const { startAllowance } = await import('./self-test/start-allowance.js').catch((error: unknown) => {
      throw new Error(
        `self-test needs the Allowance repository (its @allowance/cli package): ${(error as Error).message}`,
      );
    });
    const mode = argv.includes('--third-party') ? 'third-party' : 'full';
    const wallet = await startAllowance({
      outputDirectory: flag(argv, 'out') ?? 'test-results/conformance',
      mode,
    });
    try {
      process.stdout.write(`Allowance started at ${wallet.issuer}; running the suite (${mode})…\n`);
      const config = parseConfig({ ...wallet.config, ...(modules.length > 0 && { modules }) });
      return finish(
        await runConformance(config, {
          onResult: progress,
          // The full mode crashes the wallet through its own handle; the third-party mode through
          // the configuration's shell command, as an implementer would.
          ...(mode === 'full' && { restart: () => wallet.restart() }),
        }),
        config,
      );
    } finally {
      await wallet.close();
    }
  }
  if (command === 'coverage') {
    const requirements = readSpecRequirements(resolve(flag(argv, 'spec') ?? 'spec'));
    const out = resolve(flag(argv, 'out') ?? 'conformance/COVERAGE.md');
    writeFileSync(out, coverageMarkdown(requirements, MODULES));
    process.stdout.write(`wrote ${out}\n`);
    return 0;
  }
  if (command === 'list') {
    for (const module of MODULES) {
      process.stdout.write(`${module.plan}/${module.name}: ${module.summary}\n`);
      for (const [name, check] of Object.entries(module.checks)) {
        process.stdout.write(`  ${name} [${check.requirements.join(' ')}] ${check.summary}\n`);
      }
    }
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return command === undefined || command === '--help' ? 0 : 2;
}
