import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ProviderSim, startProviderSim } from '@allowance/provider-sim';
import { type ConformanceConfig, operatorToken } from '../config.js';
import { AllowanceDriver } from '../driver/allowance-driver.js';
import { BrowserScriptDriver } from '../driver/browser-script-driver.js';
import type { ConsentDriver, SimulatedProvider } from '../driver/consent-driver.js';
import { OperatorClient } from '../driver/operator-client.js';
import { withOperator } from '../driver/operator-driver.js';
import type { ConformanceModule, SuiteContext } from '../model/module.js';
import type { CheckResult, RunReport } from '../model/types.js';
import { MODULES } from '../modules/index.js';
import { markdownReport } from '../report/markdown-report.js';
import { member, send, useSourceAddresses } from '../wire/http.js';
import { SuiteApp, type WalletInfo } from '../wire/suite-app.js';
import { registerSecret } from './mask-secrets.js';
import { buildReport, runModules } from './run-suite.js';

/** Providers the simulator mounts and the driver stores as the test user's credentials. */
const PROVIDERS = ['openai', 'anthropic', 'deepseek'] as const;

/** Options of one run, beyond the configuration file. */
export interface RunOptions {
  /** Called for each finished check (the CLI prints progress with it). */
  onResult?: (result: CheckResult) => void;
  /** Write `results.json` and `report.md` to the configured directory. Default true. */
  writeReports?: boolean;
  /** Use this driver instead of the one the config names (tests inject one). */
  driver?: ConsentDriver;
  /** Use this running simulator instead of starting one (it is then left running). */
  simulator?: ProviderSim;
  /** Runs before the driver's own preparation, with the simulated providers (operator setup in tests). */
  beforePrepare?: (providers: readonly SimulatedProvider[]) => Promise<void>;
  /** Modules to choose from. Default every module. */
  modules?: readonly ConformanceModule[];
  /**
   * The operator's `restart()` (spec 8.2): stops the wallet's gateway abruptly and starts it
   * again. Given to the configured driver; without it, the checks that need it skip.
   */
  restart?: () => Promise<void>;
}

/** Chooses modules by the config's plans and optional module list. */
export function selectModules(
  config: ConformanceConfig,
  all: readonly ConformanceModule[] = MODULES,
): ConformanceModule[] {
  const names = config.modules ? new Set(config.modules) : undefined;
  const unknown = [...(names ?? [])].filter((name) => !all.some((module) => module.name === name));
  if (unknown.length > 0) throw new Error(`unknown modules: ${unknown.join(', ')}`);
  return all.filter((module) => config.plans.includes(module.plan) && (!names || names.has(module.name)));
}

function createDriver(config: ConformanceConfig, restart?: () => Promise<void>): ConsentDriver {
  const driver = config.driver;
  const base =
    driver.profile === 'allowance'
      ? new AllowanceDriver(config.issuer, config.user, restart, config.operator !== undefined)
      : new BrowserScriptDriver({
          ...driver,
          user: config.user,
          redirectOrigins: [
            ...new Set(Object.values(config.clients).map((client) => new URL(client.redirect_uri).origin)),
          ],
        });
  const token = operatorToken(config);
  if (!config.operator || token === undefined) return base;
  return withOperator(base, new OperatorClient(config.operator.url, token), config.user, restart);
}

/**
 * The operator's `restart` (spec 8.2) from the configuration's shell command: runs it, then
 * waits until the issuer's metadata answers again.
 */
function restartByCommand(config: ConformanceConfig): (() => Promise<void>) | undefined {
  const restart = config.restart;
  if (!restart) return undefined;
  return async () => {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('sh', ['-c', restart.command], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`the restart command exited with ${code}: ${restart.command}`);
    const url = new URL(config.issuer);
    const metadata = `${url.origin}/.well-known/oauth-authorization-server${url.pathname === '/' ? '' : url.pathname}`;
    const deadline = Date.now() + restart.readySeconds * 1000;
    for (;;) {
      const answered = await fetch(metadata)
        .then(async (response) => {
          await response.arrayBuffer();
          return response.ok;
        })
        .catch(() => false);
      if (answered) return;
      if (Date.now() > deadline)
        throw new Error(`the wallet did not answer within ${restart.readySeconds} s of the restart command`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
}

/** Discovers the wallet: RFC 8414 metadata, then G from `allowance.gateway` unless configured. */
async function discover(config: ConformanceConfig): Promise<WalletInfo> {
  const issuer = config.issuer.replace(/\/$/, '');
  const url = new URL(issuer);
  const response = await send(
    `${url.origin}/.well-known/oauth-authorization-server${url.pathname === '/' ? '' : url.pathname}`,
  );
  if (response.status !== 200 || typeof response.json !== 'object' || response.json === null) {
    throw new Error(`no authorization server metadata at ${issuer} (status ${response.status})`);
  }
  const gateway = config.gateway ?? String(member(response.json, 'allowance', 'gateway') ?? '');
  if (!gateway) throw new Error('the metadata names no allowance.gateway and none is configured');
  return { issuer, gateway: gateway.replace(/\/$/, ''), metadata: response.json as Record<string, unknown> };
}

/**
 * Runs the suite: starts the provider simulator, prepares the consent driver (test user and its
 * provider credentials pointing at the simulator), runs the selected modules, and writes reports.
 */
export async function runConformance(
  config: ConformanceConfig,
  options: RunOptions = {},
): Promise<RunReport> {
  const startedAt = new Date();
  useSourceAddresses(config.sourceAddresses);
  registerSecret(config.user.password);
  for (const client of Object.values(config.clients))
    if (client.client_secret) registerSecret(client.client_secret);
  if (config.registration) registerSecret(config.registration.initial_access_token);
  const sim =
    options.simulator ??
    (await startProviderSim({ host: config.simulator.host, port: config.simulator.port }));
  for (const provider of PROVIDERS) registerSecret(sim.apiKey(provider));
  const driver = options.driver ?? createDriver(config, options.restart ?? restartByCommand(config));
  try {
    const wallet = await discover(config);
    const providers = PROVIDERS.map((id) => ({ id, baseURL: sim.baseURL(id), apiKey: sim.apiKey(id) }));
    await options.beforePrepare?.(providers);
    await driver.prepare(providers);
    const context: SuiteContext = {
      config,
      wallet,
      sim,
      driver,
      app: new SuiteApp(wallet, driver),
      clients: config.clients,
    };
    const known = (result: CheckResult): CheckResult => {
      const reason = config.knownFailures[`${result.module}.${result.check}`];
      return reason !== undefined && result.result === 'fail' ? { ...result, knownFailure: reason } : result;
    };
    const results = (
      await runModules(
        context,
        selectModules(config, options.modules),
        (result) => options.onResult?.(known(result)),
        // Database and log inspection is optional (spec 8.2): only with artefacts to read.
        { runs: (kind) => kind !== 'inspect' || config.artefacts !== undefined },
      )
    ).map(known);
    const report = buildReport(wallet, results, startedAt);
    if (options.writeReports ?? true) {
      const directory = resolve(config.output.directory);
      mkdirSync(directory, { recursive: true });
      writeFileSync(join(directory, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(join(directory, 'report.md'), markdownReport(report));
    }
    return report;
  } finally {
    await driver.close();
    useSourceAddresses([]);
    if (!options.simulator) await sim.close();
  }
}
