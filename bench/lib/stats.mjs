// Medians, spreads, and the interleaved pairing that keeps a noisy machine from skewing a ratio.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median, min and max of a sample, plus the sample itself. */
export function summarize(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), samples: values };
}

/**
 * Measures a baseline and a candidate in alternating rounds (B C, C B, B C, ...) and pairs each
 * candidate round with the baseline round next to it: `ratio = candidate / baseline`, per pair.
 * `measure(which)` returns one round's figure (higher is better, e.g. requests per second).
 */
export async function interleave({ rounds, measure, onRound }) {
  const baseline = [];
  const candidate = [];
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
    const figures = {};
    for (const which of order) figures[which] = await measure(which);
    baseline.push(figures.baseline);
    candidate.push(figures.candidate);
    ratios.push(figures.candidate / figures.baseline);
    onRound?.(round, figures, ratios.at(-1));
  }
  return { ratio: summarize(ratios), baseline: summarize(baseline), candidate: summarize(candidate) };
}

/** "0.981 (0.962–0.995)": a median and its spread. */
export function formatSpread({ median: mid, min, max }, digits = 3) {
  return `${mid.toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`;
}
