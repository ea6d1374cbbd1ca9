import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { runAtOnce, runInSlices, type Steps } from './work-in-slices.js';

// An o200k_base count that is an upper bound and costs linear time (spec MTR-14). The tokenizer
// first splits text into pieces with a regular expression, then merges each piece's bytes into
// tokens; a token never spans two pieces, and the merge costs the square of a piece's length
// (a 50 000-character run of one letter took 4.6 s; BENCHMARKS.md "Adversarial bodies"). So:
// a piece longer than LONG_PIECE_BYTES counts as its UTF-8 bytes, which no byte-level BPE can
// exceed; and past EXACT_COUNT_BYTES of text a request's remaining text counts as its bytes too,
// so that no body up to the size limit costs much more CPU than ordinary text of that budget.

/** Text a user sends is never a special token to the provider's tokenizer, so not here either. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Pieces longer than this, in UTF-8 bytes, are bounded by their bytes instead of merged (spec
 * MTR-14). In ordinary text (3.4 MB of Markdown) 56 pieces in 846 000 are longer: long rules,
 * indentation, base64. A merge of 128 bytes costs about 0.2 ms at worst.
 */
export const LONG_PIECE_BYTES = 128;

/**
 * UTF-8 bytes of a request's text counted exactly; the text after them is bounded by its bytes
 * (spec MTR-14). About 128 000 tokens of English, the context window of gpt-4o.
 */
export const EXACT_COUNT_BYTES = 512 * 1024;

/** Text the split runs over at once, in UTF-16 code units: a fraction of a millisecond. */
const WINDOW_UNITS = 2048;

/** Text handed to the tokenizer at once, in UTF-16 code units: at most a few ms of work. */
const CHUNK_UNITS = 512;

/**
 * A text up to this long (UTF-16 code units) with no run {@link MAY_HOLD_LONG_PIECE} finds goes
 * to the tokenizer in one call: a few milliseconds at worst, 0.2 to 0.3 ms for 4 KB of prose.
 */
const MEDIUM_TEXT_UNITS = 4096;

/** What one call into the tokenizer costs besides its text, as bytes of the budget (~1 µs). */
const CALL_BYTES = 16;

/** Short texts counted between two chances for the event loop to run. */
const SHORT_TEXTS_A_CHUNK = 256;

/**
 * A text this short (UTF-16 code units) cannot hold a piece over LONG_PIECE_BYTES, since a code
 * unit is at most 3 UTF-8 bytes, and is counted in one call.
 */
const SHORT_TEXT_UNITS = Math.floor(LONG_PIECE_BYTES / 3);

/**
 * A run that a piece over LONG_PIECE_BYTES needs: without one, every piece is at most 41 code
 * units (an optional space, 20 non-space, 20 of `\r`, `\n` and `/`), 123 bytes. Much quicker to
 * test on prose than splitting it, so a text of ordinary words goes to the tokenizer at once.
 */
const MAY_HOLD_LONG_PIECE = /\S{21}|\s{21}|[\r\n/]{21}/;

/** The tokenizer's own split, on an instance of our own so its `lastIndex` is ours. */
const PIECES = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, O200K_TOKEN_SPLIT_REGEX.flags);

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * The o200k_base tokens of `texts`, summed: exact for every piece of at most
 * {@link LONG_PIECE_BYTES} within the first {@link EXACT_COUNT_BYTES} bytes, the UTF-8 byte count
 * elsewhere, so never fewer than the tokenizer's own count. A generator that yields between
 * chunks of a few milliseconds of work: {@link countO200kTokens} runs it at once,
 * {@link countO200kTokensYielding} lets the event loop run between chunks.
 */
export function* o200kTokens(texts: Iterable<string>): Steps<number> {
  let total = 0;
  let budget = EXACT_COUNT_BYTES;
  const exact = (text: string) => {
    total += countTokens(text, PLAIN_TEXT);
    budget -= utf8Bytes(text) + CALL_BYTES;
  };
  let shortTexts = 0;
  for (const text of texts) {
    if (text.length === 0) continue;
    if (budget <= 0) total += utf8Bytes(text);
    else if (
      text.length > MEDIUM_TEXT_UNITS ||
      (text.length > SHORT_TEXT_UNITS && MAY_HOLD_LONG_PIECE.test(text))
    )
      yield* longText(text);
    else if (text.length > SHORT_TEXT_UNITS) {
      exact(text);
      yield;
    } else {
      exact(text);
      shortTexts += 1;
      if (shortTexts % SHORT_TEXTS_A_CHUNK === 0) yield;
    }
  }
  return total;

  // A chunk always starts and ends on a piece boundary, so the tokenizer splits it into the same
  // pieces as it splits the whole text: its split never looks back before a piece. The split is
  // run on windows of the text, so that one run of a million emoji is not one long match.
  function* longText(text: string): Steps<void> {
    let chunkStart = 0;
    let position = 0;
    windows: while (position < text.length) {
      const offset = position;
      const windowEnd = Math.min(text.length, offset + WINDOW_UNITS);
      const window = text.slice(offset, windowEnd);
      PIECES.lastIndex = 0;
      for (let match = PIECES.exec(window); match !== null; match = PIECES.exec(window)) {
        const pieceStart = offset + match.index;
        const pieceEnd = pieceStart + match[0].length;
        let boundary = pieceEnd;
        let long: boolean;
        if (pieceEnd === windowEnd && windowEnd < text.length) {
          // The piece may go on past the window: split again from its start, unless it fills the
          // whole window, which makes it long; then bound it, and what follows up to the next
          // certain boundary, by bytes.
          if (pieceStart > offset) {
            position = pieceStart;
            continue windows;
          }
          boundary = nextBoundary(text, windowEnd);
          long = true;
        } else long = match[0].length * 3 > LONG_PIECE_BYTES && utf8Bytes(match[0]) > LONG_PIECE_BYTES;
        if (long) {
          if (pieceStart > chunkStart) exact(text.slice(chunkStart, pieceStart));
          const regionBytes = utf8Bytes(text.slice(pieceStart, boundary));
          total += regionBytes;
          budget -= regionBytes;
          chunkStart = boundary;
        } else if (pieceEnd - chunkStart >= CHUNK_UNITS) {
          exact(text.slice(chunkStart, pieceEnd));
          chunkStart = pieceEnd;
        } else continue;
        if (budget <= 0) {
          // The budget is spent: the rest of the text is bounded by its bytes.
          total += utf8Bytes(text.slice(chunkStart));
          return;
        }
        yield;
        if (boundary !== pieceEnd) {
          position = boundary;
          continue windows;
        }
        // Another count may have used the expression while this one waited.
        PIECES.lastIndex = pieceEnd - offset;
      }
      position = windowEnd;
    }
    if (chunkStart < text.length) exact(text.slice(chunkStart));
  }
}

/** A space after anything but white space: there a piece always ends (no piece has one inside). */
const SPACE_AFTER_NON_SPACE = /\S /g;

/** The first position at or after `from` where a piece certainly starts, or the text's end. */
function nextBoundary(text: string, from: number): number {
  SPACE_AFTER_NON_SPACE.lastIndex = from - 1;
  const found = SPACE_AFTER_NON_SPACE.exec(text);
  return found === null ? text.length : found.index + 1;
}

/** {@link o200kTokens} at once, for callers that have no event loop to keep free. */
export function countO200kTokens(texts: Iterable<string>): number {
  return runAtOnce(o200kTokens(texts));
}

/**
 * {@link o200kTokens} in slices of about 4 ms, letting the event loop serve other requests in
 * between (spec MTR-14): a large prompt delays nobody else's sign-in or call.
 */
export function countO200kTokensYielding(
  texts: Iterable<string>,
  options: { sliceMs?: number } = {},
): Promise<number> {
  return runInSlices(o200kTokens(texts), options.sliceMs);
}
