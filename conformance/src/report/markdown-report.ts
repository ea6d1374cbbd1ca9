import type { CheckResult, RunReport } from '../model/types.js';

const ICON: Record<CheckResult['result'], string> = { pass: 'pass', fail: 'FAIL', skip: 'skip' };
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The per-module summary table the CLI prints and the report opens with. */
export function summaryTable(report: RunReport): string {
  const modules = new Map<
    string,
    { pass: number; fail: number; known: number; warning: number; skip: number }
  >();
  for (const result of report.results) {
    const row = modules.get(result.module) ?? { pass: 0, fail: 0, known: 0, warning: 0, skip: 0 };
    if (result.result === 'fail')
      row[result.knownFailure ? 'known' : result.severity === 'warning' ? 'warning' : 'fail'] += 1;
    else row[result.result] += 1;
    modules.set(result.module, row);
  }
  const lines = [
    '| module | pass | fail | known | warning | skip |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, row] of modules) {
    lines.push(`| ${name} | ${row.pass} | ${row.fail} | ${row.known} | ${row.warning} | ${row.skip} |`);
  }
  const { totals } = report;
  lines.push(
    `| **total** | ${totals.pass} | ${totals.fail} | ${totals.known} | ${totals.warning} | ${totals.skip} |`,
  );
  return lines.join('\n');
}

/** The readable report: summary, failures with their evidence, then every check and requirement. */
export function markdownReport(report: RunReport): string {
  const failures = report.results.filter((result) => result.result === 'fail');
  const lines = [
    '# Allowance conformance report',
    '',
    `Spec ${report.specVersion}; issuer \`${report.issuer}\`; gateway \`${report.gateway}\`; started ${report.startedAt}; ${(report.durationMs / 1000).toFixed(1)} s.`,
    '',
    summaryTable(report),
    '',
    '## Failures',
    '',
    ...(failures.length === 0 ? ['None.', ''] : failures.flatMap(failureSection)),
    '## Checks',
    '',
    '| module | check | requirements | severity | result | reason |',
    '| --- | --- | --- | --- | --- | --- |',
    ...report.results.map(
      (result) =>
        `| ${result.module} | ${result.check} | ${result.requirements.join(' ')} | ${result.severity} | ${ICON[result.result]}${result.knownFailure ? ' (known)' : ''} | ${cell(result.reason ?? '')} |`,
    ),
    '',
    '## Requirements',
    '',
    '| id | status | checks |',
    '| --- | --- | --- |',
    ...report.requirements.map(
      (requirement) => `| ${requirement.id} | ${requirement.status} | ${requirement.checks.join(', ')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

function failureSection(result: CheckResult): string[] {
  const evidence = result.evidence.map((exchange) => {
    if (exchange.request.url.startsWith('derivation: '))
      return `    derived ${exchange.request.url.slice('derivation: '.length)}: ${exchange.response?.body ?? ''}`;
    const request = `${exchange.request.method} ${exchange.request.url}`;
    const response = exchange.response
      ? `→ ${exchange.response.status} ${(exchange.response.body ?? '').slice(0, 400)}`
      : `→ ${exchange.error ?? 'no response'}`;
    return `    ${request}\n    ${response.replace(/\n/g, '\n    ')}`;
  });
  return [
    `### ${result.module}.${result.check} (${result.requirements.join(', ')}, ${result.severity})`,
    '',
    `${result.summary}.`,
    '',
    `**Reason:** ${result.reason ?? ''}`,
    '',
    ...(result.knownFailure ? [`**Known failure of this implementation:** ${result.knownFailure}`, ''] : []),
    ...(evidence.length > 0
      ? [
          'Evidence (how expected values were derived, and the last exchanges, secrets masked):',
          '',
          ...evidence,
          '',
        ]
      : []),
  ];
}
