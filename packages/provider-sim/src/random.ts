import { createHash } from 'node:crypto';

/**
 * mulberry32: a small, fast, well-distributed 32-bit PRNG. Returns a function yielding numbers
 * in [0, 1). Good enough for filler text and fake embeddings; not for anything secret.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A 32-bit seed from any JSON-like value. Keys are sorted first, so the seed does not depend on
 * property order, and `undefined` properties are ignored as JSON would.
 */
export function seedFrom(value: unknown): number {
  return createHash('sha256').update(canonicalJson(value)).digest().readUInt32LE(0);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
