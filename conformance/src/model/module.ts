import type { ProviderSim } from '@allowance/provider-sim';
import type { ConformanceConfig } from '../config.js';
import type { ConsentDriver } from '../driver/consent-driver.js';
import type { SuiteApp, SuiteClient, WalletInfo } from '../wire/suite-app.js';
import type { CheckDeclaration, CheckKind, PlanName } from './types.js';

/** What every module gets: the wallet, the simulator, the driver and the suite's app. */
export interface SuiteContext {
  readonly config: ConformanceConfig;
  readonly wallet: WalletInfo;
  readonly sim: ProviderSim;
  readonly driver: ConsentDriver;
  readonly app: SuiteApp;
  readonly clients: {
    readonly app: SuiteClient;
    readonly second?: SuiteClient | undefined;
    readonly dpop?: SuiteClient | undefined;
    readonly confidential?: SuiteClient | undefined;
    readonly device?: SuiteClient | undefined;
  };
}

/** A module's view while it runs: the suite context plus `check`, which records one result. */
export interface ModuleContext<Name extends string = string> extends SuiteContext {
  /**
   * Runs one declared check. The function fails the check by throwing (see `expect`), skips it
   * with `skip`, and passes by returning. Every HTTP exchange it makes becomes its evidence.
   */
  check(name: Name, observe: () => Promise<void>): Promise<void>;
}

/** A module: one scenario, one file, named after what it tests (spec 8.3). */
export interface ConformanceModule<Name extends string = string> {
  readonly name: string;
  readonly plan: PlanName;
  readonly kind: CheckKind;
  readonly summary: string;
  readonly checks: Readonly<Record<Name, CheckDeclaration>>;
  run(context: ModuleContext<Name>): Promise<void>;
}

/** Declares a module, typing `context.check` names against its declared checks. */
export function defineModule<Name extends string>(module: ConformanceModule<Name>): ConformanceModule<Name> {
  return module;
}
