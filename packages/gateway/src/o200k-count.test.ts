import fc from 'fast-check';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { describe, expect, it } from 'vitest';
import {
  countO200kTokens,
  countO200kTokensYielding,
  EXACT_COUNT_BYTES,
  LONG_PIECE_BYTES,
} from './o200k-count.js';

const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };
const exactly = (text: string) => countTokens(text, PLAIN_TEXT);
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const longestPiece = (text: string) =>
  Math.max(0, ...Array.from(text.matchAll(O200K_TOKEN_SPLIT_REGEX), ([piece]) => bytes(piece)));

/** Ordinary text of several kinds: prose, code, Markdown, German, Chinese, Japanese, emoji. */
const ORDINARY = [
  'The gateway reserves the worst case before it forwards a call, and settles what the provider reports.',
  "It's what they'd've said: don't count on it, we'll see. HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
  'function planCall(context, endpoint) {\n  const price = findPrice(wallet.prices, target);\n  return { price };\n}\n',
  '| step | check | failures |\n| ---- | ----- | -------- |\n| 1 | body size | 413 `request_too_large` |\n',
  'Die Donaudampfschifffahrtsgesellschaftskapitänsmütze liegt auf dem Tisch, 1234,56 € später.',
  '钱包在转发请求之前预留最坏情况的费用，然后按提供方报告的用量结算。',
  'ゲートウェイは呼び出しの前に最悪の費用を予約します。',
  'Launch day 🚀🎉 — thanks 👍🏽 to everyone; see https://example.com/a/b?c=d&e=f#g for details.',
  '    indented\n\t\ttabs\n\n\n   trailing   \n<|endoftext|> and <|im_start|> are plain text here.',
];

describe('countO200kTokens (spec MTR-14)', () => {
  it("is the tokenizer's own count for ordinary text, whether one text or many chunks", () => {
    for (const text of ORDINARY) expect(countO200kTokens([text])).toBe(exactly(text));
    const long = Array.from({ length: 400 }, (_, index) => ORDINARY[index % ORDINARY.length]).join(' ');
    expect(long.length).toBeGreaterThan(30_000);
    expect(countO200kTokens([long])).toBe(exactly(long));
    expect(countO200kTokens(ORDINARY)).toBe(ORDINARY.reduce((sum, text) => sum + exactly(text), 0));
  });

  it('is never below the exact count, and equal to it when no piece is long', () => {
    const alphabet = [..."aZé中😀 \t\n\r/!'s0", '\u0301', 'ab', 'ЖЖ', '  ', '\n\n', '--'];
    const text = fc
      .array(
        fc.oneof(
          fc.constantFrom(...alphabet),
          fc
            .tuple(fc.constantFrom(...alphabet), fc.integer({ min: 1, max: 80 }))
            .map(([unit, times]) => unit.repeat(times)),
        ),
        { maxLength: 120 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (value) => {
        const counted = countO200kTokens([value]);
        expect(counted).toBeGreaterThanOrEqual(exactly(value));
        expect(counted).toBeLessThanOrEqual(bytes(value));
        if (longestPiece(value) <= LONG_PIECE_BYTES) expect(counted).toBe(exactly(value));
      }),
      { seed: 20261203, numRuns: 300 },
    );
  });

  it('needs a run of 21 non-space, space or line-break-and-slash characters for a piece over 128 bytes', () => {
    const units = [..."aZé中😀 \t\n\r/!'s0-=", '\u0301', '\u3000'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...units), { maxLength: 400 }), (parts) => {
        const text = parts.join('');
        if (!/\S{21}|\s{21}|[\r\n/]{21}/.test(text))
          expect(longestPiece(text)).toBeLessThanOrEqual(LONG_PIECE_BYTES);
      }),
      { seed: 20261203, numRuns: 2_000 },
    );
  });

  it('bounds a long piece by its bytes without merging it: runs of one character, spaces, emoji, CJK', () => {
    const fourMebibytes = 4 * 1024 * 1024;
    for (const run of ['a', ' ', '\n', '!', '😀', '中', '\u0301']) {
      const text = run.repeat(Math.floor(fourMebibytes / bytes(run)));
      expect(countO200kTokens([text])).toBe(bytes(text));
    }
    // A long piece inside ordinary text: the text around it is still counted exactly.
    const around = `${ORDINARY[0]} ${'='.repeat(200_000)} ${ORDINARY[1]}`;
    expect(countO200kTokens([around])).toBe(
      exactly(ORDINARY[0] as string) + bytes(` ${'='.repeat(200_000)}`) + exactly(` ${ORDINARY[1]}`),
    );
  });

  it(`counts the text after the first ${EXACT_COUNT_BYTES} bytes of a request by its bytes`, () => {
    const sentence = `${ORDINARY[0]} `;
    const text = sentence.repeat(Math.ceil((2 * EXACT_COUNT_BYTES) / sentence.length));
    const counted = countO200kTokens([text]);
    expect(counted).toBeGreaterThan(exactly(text));
    expect(counted).toBeLessThan(bytes(text));
    // Many short texts share the one budget.
    const texts = Array.from({ length: 100_000 }, (_, index) => `message ${index}`);
    const total = countO200kTokens(texts);
    expect(total).toBeGreaterThanOrEqual(texts.reduce((sum, each) => sum + exactly(each), 0));
    expect(total).toBeLessThanOrEqual(texts.reduce((sum, each) => sum + bytes(each), 0));
  });

  it('lets the event loop run between chunks of a long count, with the same result', async () => {
    const text = Array.from(
      { length: 20_000 },
      (_, index) => `${ORDINARY[index % ORDINARY.length]}${index}`,
    ).join(' ');
    let turns = 0;
    let settled = false;
    const turn = () => {
      turns += 1;
      if (!settled) setImmediate(turn);
    };
    setImmediate(turn);
    // A slice of 0 ms lets the event loop run after every chunk.
    const counted = await countO200kTokensYielding([text], { sliceMs: 0 }).finally(() => {
      settled = true;
    });
    expect(counted).toBe(countO200kTokens([text]));
    expect(turns).toBeGreaterThan(100);
  });
});
