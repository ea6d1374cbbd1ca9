/** The Allowance conformance suite: run it against any wallet's issuer and gateway. */
export { runCli } from './cli.js';
export {
  type ConformanceConfig,
  type ConformanceConfigInput,
  configSchema,
  parseConfig,
  readConfig,
} from './config.js';
export { AllowanceDriver } from './driver/allowance-driver.js';
export { BrowserScriptDriver } from './driver/browser-script-driver.js';
export type { Approval, ConsentDriver, DriverOutcome, SimulatedProvider } from './driver/consent-driver.js';
export type { ConformanceModule, ModuleContext, SuiteContext } from './model/module.js';
export type {
  CheckDeclaration,
  CheckResult,
  Exchange,
  RequirementStatus,
  RunReport,
  Severity,
} from './model/types.js';
export { MODULES } from './modules/index.js';
export { markdownReport, summaryTable } from './report/markdown-report.js';
export { computeCoverage, coverageMarkdown } from './requirements/coverage-report.js';
export { readSpecRequirements, type SpecRequirement } from './requirements/spec-requirements.js';
export { type RunOptions, runConformance, selectModules } from './runner/run-conformance.js';
export { type RunningAllowance, startAllowance } from './self-test/start-allowance.js';
