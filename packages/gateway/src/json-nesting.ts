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
  let inString = false;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (inString) {
      if (byte === BACKSLASH) index += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      depth += 1;
      if (depth > limit) return true;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth -= 1;
  }
  return false;
}
