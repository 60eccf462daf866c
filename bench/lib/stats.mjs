// Medians, spreads, and the interleaved pairing that keeps a noisy machine from skewing a ratio.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The q-quantile (0..1) of a sample, by linear interpolation. */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.ceil(at)] - sorted[low]) * (at - low);
}

/**
 * The standard error of a sample's median, estimated from its interquartile range (robust to the
 * outliers a shared machine produces): 1.253 * sigma / sqrt(n), sigma = IQR / 1.349.
 */
export function medianError(values) {
  const sigma = (quantile(values, 0.75) - quantile(values, 0.25)) / 1.349;
  return (1.253 * sigma) / Math.sqrt(values.length);
}

/** Median, min and max of a sample, plus the sample itself. */
export function summarize(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), samples: values };
}

/**
 * Measures a baseline and a candidate in alternating rounds (B C, C B, B C, ...), so that each
 * candidate round has a baseline round next to it, under the same conditions. `measure(which)`
 * returns one round's figures as an object of numbers. Returns the pairs, for `compare`.
 */
export async function interleave({ rounds, measure }) {
  const pairs = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
    const pair = {};
    for (const which of order) pair[which] = await measure(which);
    pairs.push(pair);
  }
  return pairs;
}

/**
 * One figure across paired rounds: the baseline's, the candidate's, and `combine(candidate, baseline)`
 * pair by pair (by default the ratio), each as a median with its spread.
 */
export function compare(pairs, key, combine = (candidate, baseline) => candidate / baseline) {
  return {
    paired: summarize(pairs.map((pair) => combine(pair.candidate[key], pair.baseline[key]))),
    baseline: summarize(pairs.map((pair) => pair.baseline[key])),
    candidate: summarize(pairs.map((pair) => pair.candidate[key])),
  };
}

/** "0.981 (0.962–0.995)": a median and its spread. */
export function formatSpread({ median: mid, min, max }, digits = 3) {
  return `${mid.toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`;
}

/** Nanoseconds per awaited call, over at least `minMs` (in batches of 1,000 calls). */
export async function nsPerCall(call, { minMs, maxCalls }) {
  let calls = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(minMs * 1e6);
  do {
    for (let i = 0; i < 1000; i++) await call();
    calls += 1000;
  } while (process.hrtime.bigint() - start < limit && calls < maxCalls);
  return Number(process.hrtime.bigint() - start) / calls;
}
