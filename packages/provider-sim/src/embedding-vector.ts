import { mulberry32, seedFrom } from './random.js';

/** Native vector sizes of the OpenAI embedding models; other models get 1536. */
const NATIVE_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/** The vector size `model` produces when no `dimensions` is asked for. */
export function nativeDimensions(model: string): number {
  return NATIVE_DIMENSIONS[model] ?? 1536;
}

/**
 * A deterministic, unit-length embedding of `input` under `model`. As with the real
 * `text-embedding-3-*` models, asking for fewer `dimensions` returns the native vector cut short
 * and renormalised. Values are float32, so float and base64 encodings carry identical numbers.
 */
export function embeddingVector(
  model: string,
  input: string | readonly number[],
  dimensions: number,
): Float32Array {
  const random = mulberry32(seedFrom({ model, input }));
  const full = Array.from({ length: nativeDimensions(model) }, () => random() * 2 - 1);
  const kept = full.slice(0, dimensions);
  const norm = Math.sqrt(kept.reduce((sum, value) => sum + value * value, 0)) || 1;
  return Float32Array.from(kept, (value) => value / norm);
}

/** Base64 of the vector's little-endian float32 bytes, as `encoding_format: "base64"` returns it. */
export function toBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (const [index, value] of vector.entries()) bytes.writeFloatLE(value, index * 4);
  return bytes.toString('base64');
}
