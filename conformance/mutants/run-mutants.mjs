#!/usr/bin/env node
// Measures the conformance suite's power: applies each realistic mutant (a small bug breaking one
// MUST of spec/) to a fresh copy of the project, rebuilds, runs the suite against it and reports
// which mutants it failed to kill. Plain Node ESM, no build step, so it runs before `npm run build`.
//
//   node conformance/mutants/run-mutants.mjs [--jobs N] [--only id,id] [--ref commit]
//                                           [--report path] [--timeout seconds] [--keep]
//
// The base copy is `git archive <ref>`, never the working tree, so other people's uncommitted
// edits cannot leak into the measurement.
import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

// ---------------------------------------------------------------------------------------------
// Options

function parseArguments(argv) {
  const options = {
    jobs: 2,
    only: undefined,
    ref: 'HEAD',
    report: join(ROOT, 'conformance/MUTANTS.md'),
    timeoutSeconds: 240,
    keep: false,
  };
  for (let index = 0; index < argv.length; index += 1) {
    const name = argv[index];
    const value = () => {
      const next = argv[index + 1];
      if (next === undefined) throw new Error(`${name} needs a value`);
      index += 1;
      return next;
    };
    if (name === '--jobs') options.jobs = Math.max(1, Number.parseInt(value(), 10) || 1);
    else if (name === '--only') options.only = new Set(value().split(',').filter(Boolean));
    else if (name === '--ref') options.ref = value();
    else if (name === '--report') options.report = resolve(value());
    else if (name === '--timeout') options.timeoutSeconds = Number(value());
    else if (name === '--keep') options.keep = true;
    else if (name === '--rewrite-report') options.rewriteReport = true;
    else if (name === '--help' || name === '-h') {
      process.stdout.write(
        'usage: run-mutants.mjs [--jobs N] [--only id,id] [--ref commit] [--report path] [--timeout s] [--keep] [--rewrite-report]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${name}`);
  }
  return options;
}

const options = parseArguments(process.argv.slice(2));

// ---------------------------------------------------------------------------------------------
// Mutants

/** Reads every mutants*.json file beside this script; each holds an array of mutants. */
function loadMutants() {
  const files = readdirSync(HERE)
    .filter((name) => /^mutants.*\.json$/.test(name))
    .sort();
  const mutants = [];
  const seen = new Set();
  for (const file of files) {
    const list = JSON.parse(readFileSync(join(HERE, file), 'utf8'));
    for (const mutant of list) {
      for (const field of ['id', 'requirement', 'file', 'find', 'replace', 'description']) {
        // An empty `replace` deletes the `find` text; every other field must say something.
        if (typeof mutant[field] !== 'string' || (mutant[field] === '' && field !== 'replace')) {
          throw new Error(`${file}: mutant ${mutant.id ?? '?'} lacks "${field}"`);
        }
      }
      if (seen.has(mutant.id)) throw new Error(`${file}: duplicate mutant id ${mutant.id}`);
      if (mutant.find === mutant.replace) throw new Error(`${file}: mutant ${mutant.id} changes nothing`);
      for (const edit of mutant.also ?? []) {
        if (
          typeof edit.file !== 'string' ||
          typeof edit.find !== 'string' ||
          typeof edit.replace !== 'string'
        ) {
          throw new Error(`${file}: mutant ${mutant.id} has an "also" edit without file, find and replace`);
        }
      }
      seen.add(mutant.id);
      mutants.push({ ...mutant, source: file });
    }
  }
  return mutants;
}

function countOccurrences(text, part) {
  let count = 0;
  for (let at = text.indexOf(part); at !== -1; at = text.indexOf(part, at + 1)) count += 1;
  return count;
}

// ---------------------------------------------------------------------------------------------
// Temporary copies and cleanup

const temporaryDirectories = new Set();
const runningGroups = new Set();

function descendants(pid) {
  // Walks /proc so that processes which left our group (a browser launched detached) die too.
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  const found = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift();
    for (const child of children.get(next) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function killTree(pid) {
  let tree = [];
  try {
    tree = descendants(pid);
  } catch {
    // no /proc: the group kill below still gets everything that stayed in the group
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
  for (const child of tree) {
    try {
      process.kill(child, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function cleanup() {
  for (const pid of runningGroups) killTree(pid);
  runningGroups.clear();
  if (!options?.keep) {
    for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
  }
  temporaryDirectories.clear();
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping, killing suites and removing copies\n`);
    cleanup();
    process.exit(130);
  });
}
process.on('exit', cleanup);

/**
 * node_modules for a copy: every entry a symlink into the real node_modules, except @allowance,
 * whose workspace links must point at the copy's own packages, or the suite would test the
 * working tree instead of the mutant.
 */
function linkNodeModules(copy) {
  const source = join(ROOT, 'node_modules');
  const target = join(copy, 'node_modules');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target);
  for (const entry of readdirSync(source)) {
    if (entry === '@allowance') continue;
    symlinkSync(join(source, entry), join(target, entry));
  }
  const workspaces = join(source, '@allowance');
  mkdirSync(join(target, '@allowance'));
  for (const name of readdirSync(workspaces)) {
    const link = readlinkSync(join(workspaces, name));
    const pointsAt = relative(ROOT, resolve(workspaces, link));
    if (pointsAt.startsWith('..'))
      throw new Error(`node_modules/@allowance/${name} points outside the repository`);
    symlinkSync(join(copy, pointsAt), join(target, '@allowance', name));
  }
}

function makeBase(work, ref) {
  const base = join(work, 'base');
  mkdirSync(base);
  const archive = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', ref], {
    maxBuffer: 1 << 30,
  });
  execFileSync('tar', ['-x', '-C', base], { input: archive });
  linkNodeModules(base);
  return base;
}

function copyBase(base, destination) {
  mkdirSync(destination);
  for (const entry of readdirSync(base)) {
    if (entry === 'node_modules') continue;
    // preserveTimestamps keeps tsc -b's up-to-date check valid: only the mutated project rebuilds.
    cpSync(join(base, entry), join(destination, entry), {
      recursive: true,
      preserveTimestamps: true,
      verbatimSymlinks: true,
    });
  }
  linkNodeModules(destination);
}

// ---------------------------------------------------------------------------------------------
// Build and suite

function run(command, args, cwd, timeoutMs) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    runningGroups.add(child.pid);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => killTree(child.pid), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      runningGroups.delete(child.pid);
      resolvePromise({ code, signal, output });
    });
  });
}

async function build(copy) {
  const result = await run(process.execPath, [TSC, '-b'], copy, 600_000);
  return { ok: result.code === 0, output: result.output };
}

const FAIL_LINE = /^ {2}FAIL (\S+)/m;

/**
 * Runs the self-test in `copy`; stops at the first FAIL line (killing its whole process group,
 * wallet included) since one is enough to kill the mutant.
 */
function runSuite(copy, outDirectory, timeoutSeconds, stopAtFirstFail = true) {
  return new Promise((resolvePromise) => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [join(copy, 'conformance/dist/bin.js'), 'self-test', '--out', outDirectory],
      {
        cwd: copy,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, FORCE_COLOR: '0' },
      },
    );
    runningGroups.add(child.pid);
    let output = '';
    let pending = '';
    let firstFail;
    let timedOut = false;
    let settled = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killTree(child.pid);
      runningGroups.delete(child.pid);
      resolvePromise({ ...result, seconds: (Date.now() - started) / 1000, output });
    };
    const onLine = (line) => {
      const match = FAIL_LINE.exec(line);
      if (match && firstFail === undefined) {
        firstFail = { check: match[1], line: line.trim() };
        if (stopAtFirstFail)
          finish({ result: 'killed', killedBy: firstFail.check, failLine: firstFail.line });
      }
    };
    child.stdout.on('data', (chunk) => {
      output += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) onLine(line);
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      finish({ result: 'killed', killedBy: 'timeout', timeout: true });
    }, timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      if (pending) onLine(pending);
      if (timedOut) return;
      if (firstFail)
        finish({ result: 'killed', killedBy: firstFail.check, failLine: firstFail.line, exitCode: code });
      else if (code === 0) finish({ result: 'survived', exitCode: code });
      else
        finish({
          result: 'killed',
          killedBy: `exit ${code ?? signal}`,
          exitCode: code,
          failLine: output.trim().split('\n').slice(-3).join(' | '),
        });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// One mutant

async function runMutant(mutant, base, work, timeoutSeconds) {
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const copy = join(work, `m-${mutant.id}`);
  temporaryDirectories.add(copy);
  try {
    // The edit, and the few mutants that need a second edit to be one bug (`also`).
    const edits = [{ file: mutant.file, find: mutant.find, replace: mutant.replace }, ...(mutant.also ?? [])];
    const texts = new Map();
    for (const edit of edits) {
      const path = join(base, edit.file);
      if (!existsSync(path))
        return { result: 'stale', detail: `${edit.file} does not exist`, seconds: elapsed() };
      const text = texts.get(edit.file) ?? readFileSync(path, 'utf8');
      const occurrences = countOccurrences(text, edit.find);
      if (occurrences !== 1) {
        return {
          result: 'stale',
          detail: `${edit.file}: ${occurrences === 0 ? '"find" text not found' : `"find" text occurs ${occurrences} times`}`,
          seconds: elapsed(),
        };
      }
      texts.set(
        edit.file,
        text.replace(edit.find, () => edit.replace),
      );
    }
    copyBase(base, copy);
    for (const [file, text] of texts) writeFileSync(join(copy, file), text);
    const built = await build(copy);
    if (!built.ok) {
      return {
        result: 'does-not-compile',
        detail: built.output.trim().split('\n').slice(0, 4).join(' | '),
        seconds: elapsed(),
      };
    }
    const suite = await runSuite(copy, join(copy, 'test-results/conformance'), timeoutSeconds);
    return {
      result: suite.result,
      killedBy: suite.killedBy,
      timeout: suite.timeout ?? false,
      detail: suite.failLine,
      seconds: elapsed(),
    };
  } finally {
    if (!options.keep) rmSync(copy, { recursive: true, force: true });
    temporaryDirectories.delete(copy);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function escapeCell(text) {
  return String(text ?? '')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ');
}

function writeReport(path, context, mutants, results) {
  const counts = { killed: 0, survived: 0, stale: 0, 'does-not-compile': 0 };
  let timeouts = 0;
  for (const result of results.values()) {
    counts[result.result] += 1;
    if (result.timeout) timeouts += 1;
  }
  const valid = counts.killed + counts.survived;
  const ratio = valid === 0 ? 0 : counts.killed / valid;
  const lines = [
    '# Mutation score of the conformance suite',
    '',
    'Each mutant is a small, realistic bug that breaks one MUST of spec/. The harness applies it to a',
    'fresh `git archive` copy of the project, rebuilds, runs `conformance/dist/bin.js self-test` against',
    'it and counts the mutant killed when any check FAILs (or the suite exits non-zero or times out).',
    'Mutants live in `conformance/mutants/mutants*.json`; see `conformance/mutants/README.md`.',
    '',
    `- Command: \`${context.command}\``,
    `- Date: ${context.date}`,
    `- Commit: \`${context.commit}\` (ref \`${context.ref}\`)`,
    `- Wall time: ${Math.round(context.seconds)} s with ${context.jobs} job(s); baseline suite ${Math.round(context.baselineSeconds)} s`,
    '',
    '## Totals',
    '',
    '| killed | survived | stale | does-not-compile | kill ratio (killed / (killed + survived)) |',
    '| --- | --- | --- | --- | --- |',
    `| ${counts.killed}${timeouts ? ` (${timeouts} by timeout)` : ''} | ${counts.survived} | ${counts.stale} | ${counts['does-not-compile']} | ${(ratio * 100).toFixed(1)}% (${counts.killed}/${valid}) |`,
    '',
    '## Every mutant',
    '',
    '| id | requirement | file | result | first killing check | seconds |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const mutant of mutants) {
    const result = results.get(mutant.id);
    if (!result) continue;
    const shown = result.timeout ? 'killed (timeout)' : result.result;
    const by = result.result === 'killed' ? result.killedBy : (result.detail ?? '');
    lines.push(
      `| ${escapeCell(mutant.id)} | ${escapeCell(mutant.requirement)} | \`${escapeCell(mutant.file)}\` | ${shown} | ${escapeCell(by)} | ${Math.round(result.seconds ?? 0)} |`,
    );
  }
  lines.push('', '## Survivors', '');
  const survivors = mutants.filter((mutant) => results.get(mutant.id)?.result === 'survived');
  if (survivors.length === 0) lines.push('None.');
  for (const mutant of survivors) {
    lines.push(
      `### ${mutant.id} (${mutant.requirement})`,
      '',
      `- File: \`${mutant.file}\``,
      `- Bug: ${mutant.description}`,
      `- Why the suite cannot see it: ${mutant.outOfReach ?? 'no reason recorded'}`,
      '',
      ...[{ file: mutant.file, find: mutant.find, replace: mutant.replace }, ...(mutant.also ?? [])].flatMap(
        (edit) => [
          '```diff',
          `# ${edit.file}`,
          ...edit.find.split('\n').map((line) => `- ${line}`),
          ...edit.replace.split('\n').map((line) => `+ ${line}`),
          '```',
          '',
        ],
      ),
    );
  }
  const broken = mutants.filter((mutant) =>
    ['stale', 'does-not-compile'].includes(results.get(mutant.id)?.result),
  );
  if (broken.length > 0) {
    lines.push('## Broken mutants (fix or drop them)', '');
    for (const mutant of broken) {
      const result = results.get(mutant.id);
      lines.push(`- ${mutant.id}: ${result.result}: ${escapeCell(result.detail)}`);
    }
    lines.push('');
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${lines.join('\n')}\n`);
  // Aligned as the repository's formatter wants it, so that the report in the tree passes lint.
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/@biomejs/biome/bin/biome'), 'format', '--write', path],
      {
        stdio: 'ignore',
      },
    );
  } catch {
    // a report outside the project, or no formatter: left as written
  }
  return { counts, ratio, timeouts };
}

// ---------------------------------------------------------------------------------------------
// Main

/**
 * Writes the report again from last-run.json and the mutant files as they are now, without running
 * anything: for an `outOfReach` or description edited after a run. Results stay those of the run.
 */
function rewriteReport() {
  const raw = JSON.parse(readFileSync(join(HERE, 'last-run.json'), 'utf8'));
  const byId = new Map(loadMutants().map((mutant) => [mutant.id, mutant]));
  const mutants = raw.results.map((result) => byId.get(result.id) ?? result);
  const results = new Map(raw.results.map((result) => [result.id, result]));
  writeReport(options.report, raw, mutants, results);
  process.stdout.write(`rewrote ${options.report} from the run of ${raw.date}\n`);
  return 0;
}

async function main() {
  if (options.rewriteReport) return rewriteReport();
  const started = Date.now();
  const all = loadMutants();
  const mutants = options.only ? all.filter((mutant) => options.only.has(mutant.id)) : all;
  if (options.only) {
    const unknown = [...options.only].filter((id) => !all.some((mutant) => mutant.id === id));
    if (unknown.length > 0) throw new Error(`--only names unknown mutants: ${unknown.join(', ')}`);
  }
  const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', options.ref], { encoding: 'utf8' }).trim();
  process.stdout.write(
    `${mutants.length} mutant(s) against ${commit.slice(0, 12)}, ${options.jobs} job(s)\n`,
  );

  const work = mkdtempSync(join(tmpdir(), 'allowance-mutants-'));
  temporaryDirectories.add(work);
  const base = makeBase(work, options.ref);
  process.stdout.write(`base copy ${base}; building…\n`);
  const built = await build(base);
  if (!built.ok) throw new Error(`the unmutated copy does not build:\n${built.output}`);
  process.stdout.write('running the suite on the unmutated copy…\n');
  const baseline = await runSuite(base, join(work, 'baseline-results'), options.timeoutSeconds, false);
  if (baseline.result !== 'survived') {
    throw new Error(`the unmutated suite does not pass (${baseline.killedBy}); output:\n${baseline.output}`);
  }
  process.stdout.write(`baseline passes (${Math.round(baseline.seconds)} s)\n`);
  // The baseline's results would be copied into every mutant copy; drop them.
  rmSync(join(base, 'test-results'), { recursive: true, force: true });

  const results = new Map();
  const queue = [...mutants];
  let done = 0;
  const worker = async () => {
    for (let mutant = queue.shift(); mutant !== undefined; mutant = queue.shift()) {
      const result = await runMutant(mutant, base, work, options.timeoutSeconds);
      results.set(mutant.id, result);
      done += 1;
      const by =
        result.result === 'killed' ? ` by ${result.killedBy}` : result.detail ? `: ${result.detail}` : '';
      process.stdout.write(
        `[${done}/${mutants.length}] ${mutant.id} ${result.timeout ? 'killed (timeout)' : result.result}${by} (${Math.round(result.seconds)} s)\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.jobs, mutants.length) }, worker));

  const seconds = (Date.now() - started) / 1000;
  const context = {
    command: `node conformance/mutants/run-mutants.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    commit,
    ref: options.ref,
    jobs: options.jobs,
    seconds,
    baselineSeconds: baseline.seconds,
  };
  const { counts, ratio } = writeReport(options.report, context, mutants, results);
  const raw = {
    ...context,
    totals: { ...counts, ratio },
    results: mutants.map((mutant) => ({
      id: mutant.id,
      requirement: mutant.requirement,
      file: mutant.file,
      ...results.get(mutant.id),
    })),
  };
  const rawPath = options.only
    ? join(dirname(options.report), 'last-run-partial.json')
    : join(HERE, 'last-run.json');
  writeFileSync(rawPath, `${JSON.stringify(raw, null, 2)}\n`);
  process.stdout.write(
    `\nkilled ${counts.killed}, survived ${counts.survived}, stale ${counts.stale}, does-not-compile ${counts['does-not-compile']}; kill ratio ${(ratio * 100).toFixed(1)}%; ${Math.round(seconds)} s\nreport: ${options.report}\n`,
  );
  return counts.stale + counts['does-not-compile'] > 0 ? 2 : 0;
}

main().then(
  (code) => {
    cleanup();
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    cleanup();
    process.exitCode = 2;
  },
);
