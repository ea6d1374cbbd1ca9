import type { ApiFamily } from '@allowance/protocol';
import { countO200kTokens } from '../o200k-count.js';

/**
 * Counts the output text relayed to the app, for settling a call the provider reported no usage
 * for ([MTR-22], [MTR-24]). OpenAI family: o200k_base tokens, counted piece by piece as the text
 * arrives (so nothing is kept, and a token split across two pieces counts twice rather than
 * never), bounded by bytes where counting would cost more than linear time, as for input
 * (MTR-14): a model told to repeat one letter answers with one long piece. Anthropic, whose
 * tokenizer is not published: UTF-8 bytes, an upper bound, since every byte-level BPE token
 * stands for at least one byte.
 */
export class OutputTextMeter {
  readonly #count: (text: string) => number;
  #tokens = 0;
  #delivered = false;

  constructor(api: ApiFamily) {
    this.#count = api === 'openai' ? (text) => countO200kTokens([text]) : (text) => Buffer.byteLength(text);
  }

  /** Adds a piece of output text (content, refusal, reasoning or tool-call arguments). */
  add(text: unknown): void {
    if (typeof text !== 'string' || text.length === 0) return;
    this.#tokens += this.#count(text);
    this.#delivered = true;
  }

  /** Output tokens counted from the text added. */
  get tokens(): number {
    return this.#tokens;
  }

  /** Whether any output text was added. */
  get delivered(): boolean {
    return this.#delivered;
  }
}
