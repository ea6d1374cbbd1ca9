import { defineModule } from '../model/module.js';
import { CheckFailure, expectEqual } from '../runner/check-failure.js';
import { member } from '../wire/http.js';
import type { SuiteApp, SuiteClient } from '../wire/suite-app.js';

const base = { type: 'ai_allowance', providers: ['openai'], models: ['gpt-4.1-mini'] };
const budget = (limits: unknown, currency = 'USD') => ({ ...base, budget: { currency, limits } });
const day = (amount: unknown) => ({ amount, period: 'day' });
const many = (count: number, make: (index: number) => string) =>
  Array.from({ length: count }, (_, index) => make(index));
const future = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Pushes each object and expects 400 invalid_authorization_details; a valid control must get 201. */
async function expectRefused(
  app: SuiteApp,
  client: SuiteClient,
  cases: Record<string, unknown>,
): Promise<void> {
  const control = await app.push(client, app.parameters(client, { details: base }).parameters);
  expectEqual(control.status, 201, 'status of the valid control request');
  const wrong: string[] = [];
  for (const [name, details] of Object.entries(cases)) {
    const response = await app.push(client, app.parameters(client, { details }).parameters);
    if (response.status !== 400 || member(response.json, 'error') !== 'invalid_authorization_details') {
      wrong.push(`${name}: ${response.status} ${String(member(response.json, 'error') ?? '')}`);
    }
  }
  if (wrong.length > 0) throw new CheckFailure(`accepted or wrongly refused: ${wrong.join('; ')}`);
}

/** Validation of the ai_allowance object, field by field (Part 3), through the PAR endpoint. */
export const detailsModule = defineModule({
  name: 'details',
  plan: 'core',
  kind: 'http',
  summary: 'Every invalid ai_allowance object is refused with invalid_authorization_details',
  checks: {
    type: {
      requirements: ['DET-1', 'DET-2'],
      summary: 'a type other than exactly "ai_allowance" is refused',
    },
    'unknown-members': { requirements: ['DET-3'], summary: 'an unknown member at any level is refused' },
    'json-types': {
      requirements: ['DET-4'],
      summary: 'a member of the wrong JSON type, or null, is refused',
    },
    providers: {
      requirements: ['DET-5'],
      summary: 'empty, over 32, duplicate or malformed providers are refused',
    },
    models: {
      requirements: ['DET-6'],
      summary: 'empty, over 128, duplicate, empty-string, over 200 or non-printable models are refused',
    },
    currency: {
      requirements: ['DET-7'],
      summary: 'a malformed currency, or one other than the wallet currency, is refused',
    },
    'budget-limits': {
      requirements: ['DET-8'],
      summary: 'empty, over 5, repeated-period, unknown-period or non-positive limits are refused',
    },
    tokens: {
      requirements: ['DET-9'],
      summary: 'non-integer or out-of-range token caps and bad token limits are refused',
    },
    rate: { requirements: ['DET-10'], summary: 'an absent or out-of-range requests_per_minute is refused' },
    'confirm-above': {
      requirements: ['DET-11'],
      summary: 'an absent or invalid confirm_above.amount is refused',
    },
    scopes: { requirements: ['DET-12'], summary: 'over 64, duplicate or malformed scopes are refused' },
    retention: {
      requirements: ['DET-13'],
      summary: 'a retention other than none or provider_default is refused',
    },
    'expires-at': {
      requirements: ['DET-14'],
      summary: 'a non-UTC, non-RFC 3339 or past expires_at is refused',
    },
    money: {
      requirements: ['MTR-1'],
      summary: 'every malformed money string, including 10 integer digits, is refused',
    },
  },
  async run({ check, app, clients, wallet }) {
    const client = clients.app;
    const refused = (cases: Record<string, unknown>) => expectRefused(app, client, cases);
    const walletCurrency = String(member(wallet.metadata, 'allowance', 'currency') ?? 'USD');
    await check('type', () =>
      refused({
        other: { ...base, type: 'ai_allowance_v2' },
        upper: { ...base, type: 'AI_ALLOWANCE' },
        missing: { providers: ['openai'], models: ['gpt-4.1-mini'] },
      }),
    );
    await check('unknown-members', () =>
      refused({
        top: { ...base, region: 'eu' },
        budget: { ...budget([day('1.00')]), budget: { currency: 'USD', limits: [day('1.00')], soft: true } },
        limit: budget([{ amount: '1.00', period: 'day', rollover: true }]),
        tokens: { ...base, tokens: { max_total: 5 } },
        tokenLimit: { ...base, tokens: { limits: [{ tokens: 5, period: 'day', burst: 1 }] } },
        rate: { ...base, rate: { requests_per_minute: 5, burst: 10 } },
        confirm: { ...base, confirm_above: { amount: '1.00', currency: 'USD' } },
      }),
    );
    await check('json-types', () =>
      refused({
        numberAmount: budget([day(5)]),
        providersString: { ...base, providers: 'openai' },
        stringCap: { ...base, tokens: { max_input_per_request: '100' } },
        nullScopes: { ...base, scopes: null },
        nullBudget: { ...base, budget: null },
      }),
    );
    await check('providers', () =>
      refused({
        empty: { ...base, providers: [] },
        tooMany: { ...base, providers: many(33, (index) => `p${index}`) },
        duplicate: { ...base, providers: ['openai', 'openai'] },
        pattern: { ...base, providers: ['OpenAI'] },
      }),
    );
    await check('models', () =>
      refused({
        empty: { ...base, models: [] },
        tooMany: { ...base, models: many(129, (index) => `m${index}`) },
        duplicate: { ...base, models: ['gpt-4.1-mini', 'gpt-4.1-mini'] },
        emptyString: { ...base, models: [''] },
        tooLong: { ...base, models: ['m'.repeat(201)] },
        space: { ...base, models: ['gpt 4'] },
        nonAscii: { ...base, models: ['gpt-é'] },
      }),
    );
    await check('currency', () =>
      refused({
        lower: budget([day('1.00')], walletCurrency.toLowerCase()),
        other: budget([day('1.00')], walletCurrency === 'EUR' ? 'USD' : 'EUR'),
      }),
    );
    await check('budget-limits', () =>
      refused({
        empty: budget([]),
        six: budget(
          ['day', 'week', 'month', 'year', 'total', 'day'].map((period) => ({ amount: '1.00', period })),
        ),
        repeated: budget([day('1.00'), day('2.00')]),
        period: budget([{ amount: '1.00', period: 'hour' }]),
        zero: budget([day('0')]),
      }),
    );
    await check('tokens', () =>
      refused({
        zero: { ...base, tokens: { max_input_per_request: 0 } },
        fraction: { ...base, tokens: { max_output_per_request: 1.5 } },
        huge: { ...base, tokens: { max_output_per_request: 2 ** 53 } },
        emptyLimits: { ...base, tokens: { limits: [] } },
        repeated: {
          ...base,
          tokens: {
            limits: [
              { tokens: 5, period: 'day' },
              { tokens: 6, period: 'day' },
            ],
          },
        },
        period: { ...base, tokens: { limits: [{ tokens: 5, period: 'hour' }] } },
      }),
    );
    await check('rate', () =>
      refused({
        absent: { ...base, rate: {} },
        zero: { ...base, rate: { requests_per_minute: 0 } },
        over: { ...base, rate: { requests_per_minute: 100_001 } },
        fraction: { ...base, rate: { requests_per_minute: 1.5 } },
      }),
    );
    await check('confirm-above', () =>
      refused({
        absent: { ...base, confirm_above: {} },
        exponent: { ...base, confirm_above: { amount: '1e3' } },
      }),
    );
    await check('scopes', () =>
      refused({
        tooMany: { ...base, scopes: many(65, (index) => `s${index}`) },
        duplicate: { ...base, scopes: ['doc:read', 'doc:read'] },
        pattern: { ...base, scopes: ['doc read'] },
      }),
    );
    await check('retention', () => refused({ forever: { ...base, retention: 'forever' } }));
    await check('expires-at', () =>
      refused({
        offset: { ...base, expires_at: future.replace('Z', '+00:00') },
        past: { ...base, expires_at: '2020-01-01T00:00:00Z' },
        words: { ...base, expires_at: 'tomorrow' },
        dateOnly: { ...base, expires_at: future.slice(0, 10) },
      }),
    );
    await check('money', () =>
      refused(
        Object.fromEntries(
          ['1e3', '-1.00', '.50', '01.00', '1,00', '1.0000001', ' 1.00', '1000000000.00'].map((amount) => [
            JSON.stringify(amount),
            budget([day(amount)]),
          ]),
        ),
      ),
    );
  },
});
