import { describe, expect, it } from 'vitest';
import type { SuiteContext } from '../model/module.js';
import { defineModule } from '../model/module.js';
import { markdownReport } from '../report/markdown-report.js';
import { expectEqual } from './check-failure.js';
import { noteDerivation } from './derivation.js';
import { recordExchange } from './exchange-log.js';
import { buildReport, runModules } from './run-suite.js';

// A failure must show how its expected value was derived, even when many exchanges followed.
describe('the evidence of a failed check', () => {
  it('keeps every derivation and the last exchanges, and the report prints the derivation', async () => {
    const module = defineModule({
      name: 'arithmetic',
      plan: 'core',
      kind: 'http',
      summary: 'a check that fails after deriving its expected value',
      checks: { cost: { requirements: ['MTR-12'], summary: 'the cost is usage × price' } },
      async run({ check }) {
        await check('cost', async () => {
          noteDerivation('cost', '10 input × 400000 = 4 micro-units');
          for (let index = 0; index < 10; index += 1) {
            recordExchange({
              method: 'GET',
              url: `http://wallet.test/${index}`,
              requestHeaders: {},
              status: 200,
            });
          }
          expectEqual('0.000005', '0.000004', 'Allowance-Cost');
        });
      },
    });
    const [result] = await runModules({} as SuiteContext, [module]);
    expect(result?.result).toBe('fail');
    const urls = result?.evidence.map((exchange) => exchange.request.url);
    expect(urls).toEqual([
      'derivation: cost',
      ...[4, 5, 6, 7, 8, 9].map((index) => `http://wallet.test/${index}`),
    ]);
    const report = markdownReport(
      buildReport({ issuer: 'i', gateway: 'g' }, result ? [result] : [], new Date()),
    );
    expect(report).toContain('derived cost: 10 input × 400000 = 4 micro-units');
  });
});
