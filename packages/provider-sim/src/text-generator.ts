import { mulberry32 } from './random.js';

// Every entry below is exactly one o200k_base token, and the o200k pre-tokeniser splits a
// generated text at each entry's start (a word absorbs its one leading space, "." stands alone),
// so the token count of a generated text equals the number of entries used. The property test in
// text-generator.test.ts checks this against the real tokenizer.
const OPENING_WORDS = [
  'The',
  'This',
  'It',
  'We',
  'In',
  'Our',
  'Each',
  'Some',
  'When',
  'Here',
  'Every',
  'One',
];
const SENTENCE_WORDS = OPENING_WORDS.map((word) => ` ${word}`);
const WORDS = `the of and to in is that for it as with was on be by this are from at or an have not but which
one all were can their has more will when there been would about other into some its also time than only these
two may first any new like then used such most over through where after them well many because out between very
both under each way those while same long work part world made great small large early light water system number
point place group high order model signal field value state clear simple quiet bright river stone cloud forest
garden window market letter paper story music color voice table chair door road city house night morning summer
winter spring green blue red white black open close start build write read learn teach plan test check move carry
hold keep find give take make show tell ask help`
  .split(/\s+/)
  .map((word) => ` ${word}`);
const SENTENCE_END = '.';

/**
 * Generates `count` tokens of deterministic filler text from `seed`. Each string returned is one
 * o200k_base token; joined, they form readable-looking sentences. The first `k` tokens for a seed
 * never depend on `count`, so a response cut by `max_tokens` is a prefix of the uncut one.
 */
export function generateTokens(seed: number, count: number): string[] {
  const random = mulberry32(seed);
  const pick = (words: readonly string[]): string => words[Math.floor(random() * words.length)] ?? '';
  const tokens: string[] = [];
  let sentenceLength = 0;
  let sentenceTarget = 6 + Math.floor(random() * 9);
  while (tokens.length < count) {
    if (tokens.length === 0) {
      tokens.push(pick(OPENING_WORDS));
    } else if (sentenceLength >= sentenceTarget) {
      tokens.push(SENTENCE_END);
      if (tokens.length < count) tokens.push(pick(SENTENCE_WORDS));
      sentenceLength = 0;
      sentenceTarget = 6 + Math.floor(random() * 9);
    } else {
      tokens.push(pick(WORDS));
    }
    sentenceLength += 1;
  }
  return tokens;
}
