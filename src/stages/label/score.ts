// The composite quality score: one number per record for dashboards, SFT
// thresholds and sampling, derived from its labels only.
//
//   score = Σ w(source) · confidence · v  /  Σ w(source) · confidence
//
// where v is 1 for value=true, 0 for value=false, and the score clamped to
// 0..1 for labels that carry only a score. Labels with neither, or whose
// source weight is 0, do not count. No countable label → undefined: "no
// evidence" must not look like "average".

import type { Label, LabelSource } from '../../model/record';

export type SourceWeights = Readonly<Record<LabelSource, number>>;

export function qualityScore(labels: readonly Label[], weights: SourceWeights): number | undefined {
  let num = 0;
  let den = 0;
  for (const l of labels) {
    let v: number;
    if (typeof l.value === 'boolean') v = l.value ? 1 : 0;
    else if (typeof l.score === 'number' && Number.isFinite(l.score)) v = Math.min(1, Math.max(0, l.score));
    else continue;
    const w = (weights[l.source] ?? 0) * (Number.isFinite(l.confidence) ? Math.max(0, l.confidence) : 0);
    if (w <= 0) continue;
    num += w * v;
    den += w;
  }
  return den > 0 ? num / den : undefined;
}
