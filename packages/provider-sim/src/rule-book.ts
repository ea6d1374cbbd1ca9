import { parseRules, type SimulationRule } from './rules.js';

/** Which call a rule is being matched against. */
export interface RuleTarget {
  /** Provider id the call was made to. */
  readonly provider: string;
  /** Model named in the request, or `null` for calls without one (model lists). */
  readonly model: string | null;
}

/**
 * The current rules and how many times each `times`-limited rule has fired. Replacing the rules
 * resets the counts, so `setRules` always starts from a clean slate.
 */
export class RuleBook {
  #rules: readonly SimulationRule[];
  #uses: number[];

  constructor(rules: readonly SimulationRule[] = []) {
    this.#rules = parseRules(rules);
    this.#uses = this.#rules.map(() => 0);
  }

  /** The rules in force, in match order. */
  get rules(): readonly SimulationRule[] {
    return this.#rules;
  }

  /** Validates and installs `rules`, replacing every earlier rule. */
  replace(rules: unknown): readonly SimulationRule[] {
    this.#rules = parseRules(rules);
    this.#uses = this.#rules.map(() => 0);
    return this.#rules;
  }

  /**
   * Returns the first rule matching `target`, counting it as used, or an empty rule when none
   * matches (every knob then takes its default).
   */
  take(target: RuleTarget): SimulationRule {
    for (const [index, rule] of this.#rules.entries()) {
      if (!ruleMatches(rule, target)) continue;
      const uses = this.#uses[index] ?? 0;
      if (rule.times !== undefined && uses >= rule.times) continue;
      this.#uses[index] = uses + 1;
      return rule;
    }
    return {};
  }
}

/** Whether `rule` applies to `target`, ignoring its `times` budget. */
export function ruleMatches(rule: SimulationRule, target: RuleTarget): boolean {
  if (rule.provider !== undefined && rule.provider !== target.provider) return false;
  if (rule.model === undefined) return true;
  return target.model !== null && modelPattern(rule.model).test(target.model);
}

function modelPattern(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}
