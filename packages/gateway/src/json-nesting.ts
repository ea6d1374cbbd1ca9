/**
 * How deep arrays and objects may nest in a request body (spec GW-7). Far deeper than any request
 * the providers document (a strict JSON schema nests 10 levels, about 30 in the body), far
 * shallower than the depth at which a recursive walk, JSON.stringify among them, runs out of
 * stack (about 5 000 on Node 20).
 */
export const MAX_NESTING_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
/** Strings shorter than this are skipped byte by byte, faster than a search call. */
const SHORT_STRING_BYTES = 64;

/**
 * Whether the JSON text in `bytes` opens more than `limit` arrays and objects at once, read
 * before it is parsed, in one pass without recursion: JSON.parse takes half a second over 2
 * million nested brackets, and every walk after it would need a stack as deep. Brackets inside
 * strings do not count; UTF-8 continuation bytes never look like ASCII, so bytes are enough.
 * Not a validator: text that is not JSON is left to JSON.parse.
 */
export function nestedDeeperThan(bytes: Uint8Array, limit: number = MAX_NESTING_DEPTH): boolean {
  if (bytes.length <= limit) return false;
  let depth = 0;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (byte === QUOTE) {
      // Most of a body is strings: a short one is skipped byte by byte, a long one with a
      // native search for its closing quote.
      let end = index + 1;
      const stop = Math.min(bytes.length, end + SHORT_STRING_BYTES);
      while (end < stop && bytes[end] !== QUOTE) end += bytes[end] === BACKSLASH ? 2 : 1;
      if (end >= stop) {
        end = bytes.indexOf(QUOTE, end);
        while (end !== -1 && escaped(bytes, end)) end = bytes.indexOf(QUOTE, end + 1);
        if (end === -1) return false;
      }
      index = end;
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      depth += 1;
      if (depth > limit) return true;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth -= 1;
  }
  return false;
}

/** Whether the quote at `position` is escaped: an odd run of backslashes before it. */
function escaped(bytes: Uint8Array, position: number): boolean {
  let backslashes = 0;
  for (let index = position - 1; index >= 0 && bytes[index] === BACKSLASH; index -= 1) backslashes += 1;
  return backslashes % 2 === 1;
}
