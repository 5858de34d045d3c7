// The labeler: feedback mapping, then rule labelers, then the quality score.
// Everything configurable was compiled by the factory; label() only reads.

import type { LabeledRecord, Label } from '../../model/record';
import type { DimensionDefinition } from './defaults';
import type { LabelMapping } from './mapping';
import type { RuleLabeler } from './rules';
import { qualityScore, type SourceWeights } from './score';

export interface Labeler {
  /** Replaces record.labels and record.qualityScore (so labeling twice gives the same result). */
  label(record: LabeledRecord): void;
  /** Built-in and configured dimensions, by name: criteria and annotator questions. */
  readonly dimensions: ReadonlyMap<string, DimensionDefinition>;
  toString(): string;
}

export interface LabelPlan {
  mapping: LabelMapping;
  rules: readonly RuleLabeler[];
  weights: SourceWeights;
  dimensions: ReadonlyMap<string, DimensionDefinition>;
}

export class PlanLabeler implements Labeler {
  readonly dimensions: ReadonlyMap<string, DimensionDefinition>;

  constructor(private readonly plan: LabelPlan) {
    this.dimensions = plan.dimensions;
  }

  label(record: LabeledRecord): void {
    const labels: Label[] = [];
    for (const s of record.feedback) this.plan.mapping.map(s, labels);
    const i = record.interaction;
    if (i) for (const r of this.plan.rules) r.apply(i, labels);
    record.labels = labels;
    const q = qualityScore(labels, this.plan.weights);
    if (q === undefined) delete record.qualityScore;
    else record.qualityScore = q;
  }

  toString(): string {
    const w = this.plan.weights;
    const rules = this.plan.rules.map((r) => r.name).join(', ') || 'none';
    return (
      `label: ${this.plan.mapping.ruleCount} mapping rules; rule labelers: ${rules}; ` +
      `dimensions: ${[...this.dimensions.keys()].join(', ')}; ` +
      `quality weights expert=${w.expert} user=${w.user} judge=${w.judge} rule=${w.rule} implicit=${w.implicit}`
    );
  }
}

/** label.enabled: false — records pass with no labels. */
export class NoLabeler implements Labeler {
  constructor(readonly dimensions: ReadonlyMap<string, DimensionDefinition>) {}
  label(record: LabeledRecord): void {
    record.labels = [];
    delete record.qualityScore;
  }
  toString(): string {
    return 'label: disabled';
  }
}
