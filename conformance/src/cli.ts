import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig, readConfig } from './config.js';
import type { CheckResult, RunReport } from './model/types.js';
import { MODULES } from './modules/index.js';
import { summaryTable } from './report/markdown-report.js';
import { coverageMarkdown } from './requirements/coverage-report.js';
import { readSpecRequirements } from './requirements/spec-requirements.js';
import { runConformance } from './runner/run-conformance.js';
import { startAllowance } from './self-test/start-allowance.js';

const USAGE = `allowance-conformance — the Allowance 1.0-draft conformance suite

  allowance-conformance run --config conformance.json [--module name ...]
  allowance-conformance self-test [--out directory] [--module name ...]   start Allowance and run against it
  allowance-conformance coverage [--spec spec] [--out conformance/COVERAGE.md]
  allowance-conformance list                                              modules and their checks

Exit code: 0 when no check of severity "failure" failed, 1 otherwise, 2 on a usage error.`;

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

function finish(
  report: RunReport,
  directory: string,
  knownFailures: Readonly<Record<string, string>>,
): number {
  process.stdout.write(
    `\n${summaryTable(report)}\n\nReports: ${resolve(directory)}/results.json, report.md\n`,
  );
  for (const result of report.results) {
    if (result.result === 'pass' && `${result.module}.${result.check}` in knownFailures) {
      process.stdout.write(
        `Listed as a known failure but passes now: ${result.module}.${result.check}; remove it from the list.\n`,
      );
    }
  }
  return report.totals.fail > 0 ? 1 : 0;
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
    const config = readConfig(path);
    const chosen = modules.length > 0 ? parseConfig({ ...config, modules }) : config;
    return finish(
      await runConformance(chosen, { onResult: progress }),
      chosen.output.directory,
      chosen.knownFailures,
    );
  }
  if (command === 'self-test') {
    process.env.LOG_LEVEL ??= 'error';
    const wallet = await startAllowance({ outputDirectory: flag(argv, 'out') ?? 'test-results/conformance' });
    try {
      process.stdout.write(`Allowance started at ${wallet.issuer}; running the suite…\n`);
      const config = parseConfig({ ...wallet.config, ...(modules.length > 0 && { modules }) });
      return finish(
        await runConformance(config, { onResult: progress, restart: () => wallet.restart() }),
        config.output.directory,
        config.knownFailures,
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
