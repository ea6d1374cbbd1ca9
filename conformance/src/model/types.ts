/** How bad a failing check is: `failure` for absolute requirements, `warning` for advisory ones. */
export type Severity = 'failure' | 'warning';

/** What a check needs to observe (spec 8.3). */
export type CheckKind = 'http' | 'driver' | 'inspect';

/** The three plans of spec 8.3. */
export type PlanName = 'core' | 'dpop' | 'device';

/** A check as declared by its module, before it runs. */
export interface CheckDeclaration {
  /** Requirement ids it verifies, e.g. `['META-2']`. */
  readonly requirements: readonly string[];
  /** One sentence: what behaviour is observed. */
  readonly summary: string;
  readonly severity?: Severity;
  readonly kind?: CheckKind;
}

/** One HTTP request and its response, with secrets masked. */
export interface Exchange {
  readonly request: {
    readonly method: string;
    readonly url: string;
    readonly headers: Record<string, string>;
    readonly body?: string;
  };
  readonly response?: {
    readonly status: number;
    readonly headers: Record<string, string>;
    readonly body?: string;
  };
  readonly error?: string;
}

/** The outcome of one check. */
export interface CheckResult {
  readonly module: string;
  readonly plan: PlanName;
  readonly check: string;
  readonly requirements: readonly string[];
  readonly severity: Severity;
  readonly kind: CheckKind;
  readonly summary: string;
  readonly result: 'pass' | 'fail' | 'skip';
  /** Why it failed or was skipped. */
  readonly reason?: string;
  /** The exchanges that decided it, last ones first kept. */
  readonly evidence: readonly Exchange[];
  readonly durationMs: number;
  /**
   * Set when the operator listed this check as a known failure of the implementation: the
   * failure stays in the report but does not change the exit code (until it is fixed).
   */
  readonly knownFailure?: string;
}

/** Status of one requirement id across the checks that cite it (spec 8.3). */
export interface RequirementStatus {
  readonly id: string;
  readonly status: 'pass' | 'fail' | 'warning' | 'untested';
  readonly checks: readonly string[];
}

/** Everything a run produced: what the JSON report holds. */
export interface RunReport {
  readonly suite: '@allowance/conformance';
  readonly specVersion: '1.0-draft';
  readonly issuer: string;
  readonly gateway: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly results: readonly CheckResult[];
  readonly requirements: readonly RequirementStatus[];
  readonly totals: {
    readonly pass: number;
    /** Failures of severity `failure`, not counting known failures: non-zero means non-conforming. */
    readonly fail: number;
    readonly known: number;
    readonly warning: number;
    readonly skip: number;
  };
}
