import { describe, expect, it } from 'vitest';
import { csvField, spendCsv } from './spend-csv.js';

describe('spend CSV', () => {
  it('quotes fields with quotes, commas and line breaks, and disarms formulas in text', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('Evil, "App"', 'text')).toBe('"Evil, ""App"""');
    expect(csvField('two\nlines', 'text')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("x")', 'text')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('-model', 'text')).toBe("'-model");
    expect(csvField(12)).toBe('12');
  });

  it('writes a header and one CRLF line per day, app and model, with exact decimal costs', () => {
    const csv = spendCsv(
      ['2026-11-22', '2026-11-23'],
      [
        {
          day: 1,
          clientId: 'app-1',
          model: 'gpt-4.1-mini',
          calls: 2,
          inputTokens: 10,
          cachedInputTokens: 1,
          cacheWriteTokens: 0,
          outputTokens: 5,
          costMicros: 100_000_001,
        },
      ],
      () => 'My, "App"',
      'EUR',
    );
    expect(csv).toBe(
      'date,app,client_id,model,calls,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost,currency\r\n' +
        '2026-11-23,"My, ""App""",app-1,gpt-4.1-mini,2,10,1,0,5,100.000001,EUR\r\n',
    );
  });
});
