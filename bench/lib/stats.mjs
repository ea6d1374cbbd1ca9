// Percentiles and medians over raw samples (milliseconds as floats, never rounded to whole ms).

/** The p-th percentile (0–100) of `samples`, nearest-rank; undefined when there are none. */
export function percentile(samples, p) {
  if (samples.length === 0) return undefined;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** The median of a few numbers (one per round). */
export function median(values) {
  const present = values.filter((value) => value !== undefined && Number.isFinite(value));
  if (present.length === 0) return undefined;
  const sorted = [...present].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A number rounded to `digits` decimals, for the table and the JSON file. */
export function round(value, digits = 3) {
  if (value === undefined || !Number.isFinite(value)) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
