// Feedback signal → labels, by the configured mapping rules. Rules are
// compiled once (sets for the string conditions, indexed by feedback kind);
// mapping a signal looks only at the rules for its kind.

import type { FeedbackKind, FeedbackSignal, FeedbackSource } from '../../model/feedback';
import type { Label, LabelSource } from '../../model/record';
import type { MappingRule } from './config';
import type { DimensionDefinition } from './defaults';

interface CompiledRule {
  reasons?: ReadonlySet<string>;
  names?: ReadonlySet<string>;
  labels?: ReadonlySet<string>;
  sources?: ReadonlySet<FeedbackSource>;
  lte?: number;
  gte?: number;
  dimension: string;
  value?: boolean;
  threshold?: number;
  higherIsBetter: boolean;
  confidence: number;
  criterion: string;
}

/**
 * Who a label speaks for. `system` signals (the product reporting an outcome)
 * are observations rather than judgments, so they count as implicit.
 */
export const LABEL_SOURCE: Readonly<Record<FeedbackSource, LabelSource>> = {
  user: 'user',
  expert: 'expert',
  judge: 'judge',
  implicit: 'implicit',
  system: 'implicit',
};

const norm = (s: string): string => s.trim().toLowerCase();

function set<T extends string>(v: T | readonly T[] | undefined, f: (s: T) => T = (s) => s): ReadonlySet<T> | undefined {
  if (v === undefined) return undefined;
  return new Set((Array.isArray(v) ? v : [v as T]).map(f));
}

export class LabelMapping {
  private readonly byKind = new Map<FeedbackKind, CompiledRule[]>();
  readonly ruleCount: number;

  constructor(rules: readonly MappingRule[], dimensions: ReadonlyMap<string, DimensionDefinition>) {
    this.ruleCount = rules.length;
    for (const r of rules) {
      const compiled: CompiledRule = {
        reasons: set(r.when.reason, norm),
        names: set(r.when.name, norm),
        labels: set(r.when.label, norm),
        sources: set(r.when.source),
        lte: r.when.value_lte,
        gte: r.when.value_gte,
        dimension: r.set.dimension,
        value: r.set.value,
        threshold: r.set.threshold,
        higherIsBetter: r.set.higher_is_better,
        confidence: r.confidence,
        // The config schema refuses unknown dimensions; the fallback keeps a hand-built config usable.
        criterion: r.criterion ?? dimensions.get(r.set.dimension)?.criterion ?? `Label on ${r.set.dimension}.`,
      };
      for (const kind of Array.isArray(r.when.kind) ? r.when.kind : [r.when.kind]) {
        const list = this.byKind.get(kind) ?? [];
        list.push(compiled);
        this.byKind.set(kind, list);
      }
    }
  }

  /** Appends the labels this signal yields to `out`. */
  map(signal: FeedbackSignal, out: Label[]): void {
    const rules = this.byKind.get(signal.feedbackKind);
    if (!rules) return;
    const reason = signal.reason === undefined ? undefined : norm(signal.reason);
    const name = signal.name === undefined ? undefined : norm(signal.name);
    const label = signal.label === undefined ? undefined : norm(signal.label);
    const value = typeof signal.value === 'number' && Number.isFinite(signal.value) ? signal.value : undefined;
    let taken: Set<string> | undefined;
    for (const r of rules) {
      if (taken?.has(r.dimension)) continue;
      if (r.reasons && (reason === undefined || !r.reasons.has(reason))) continue;
      if (r.names && (name === undefined || !r.names.has(name))) continue;
      if (r.labels && (label === undefined || !r.labels.has(label))) continue;
      if (r.sources && !r.sources.has(signal.source)) continue;
      if (r.lte !== undefined && (value === undefined || value > r.lte)) continue;
      if (r.gte !== undefined && (value === undefined || value < r.gte)) continue;
      let labelValue = r.value;
      let score: number | undefined;
      if (r.threshold !== undefined) {
        if (value === undefined) continue;
        score = value;
        labelValue = r.higherIsBetter ? value >= r.threshold : value < r.threshold;
      }
      const l: Label = {
        dimension: r.dimension,
        value: labelValue,
        source: LABEL_SOURCE[signal.source] ?? 'implicit',
        confidence: r.confidence,
        criterion: r.criterion,
        derivedFrom: [signal.signalId],
      };
      if (score !== undefined) l.score = score;
      out.push(l);
      (taken ??= new Set()).add(r.dimension);
    }
  }
}
