import type { LabeledRecord, LabelSource } from '../../../model/record';
import { list, PredicatePolicy } from './types';

export interface LabelMatch {
  dimension?: string;
  value?: boolean;
  sources?: ReadonlySet<LabelSource>;
  minConfidence?: number;
}

/** The record has a label like this one (dimension = value, from these sources, this confident). "Keep every thumbs-down" is this policy. */
export class LabelPolicy extends PredicatePolicy {
  readonly type = 'label';
  constructor(
    name: string,
    private readonly m: LabelMatch,
  ) {
    super(name);
  }

  protected matches(record: LabeledRecord): boolean {
    const m = this.m;
    for (const l of record.labels) {
      if (m.dimension !== undefined && l.dimension !== m.dimension) continue;
      if (m.value !== undefined && l.value !== m.value) continue;
      if (m.sources && !m.sources.has(l.source)) continue;
      if (m.minConfidence !== undefined && !(l.confidence >= m.minConfidence)) continue;
      return true;
    }
    return false;
  }

  protected describe(): string {
    const m = this.m;
    const parts = [`${m.dimension ?? '*'}=${m.value === undefined ? '*' : String(m.value)}`];
    if (m.sources) parts.push(`source∈${list(m.sources)}`);
    if (m.minConfidence !== undefined) parts.push(`confidence≥${m.minConfidence}`);
    return `label(${parts.join(', ')})`;
  }
}
