import type { FeedbackKind, FeedbackSource } from '../../../model/feedback';
import type { LabeledRecord } from '../../../model/record';
import { list, PredicatePolicy } from './types';

export interface FeedbackMatch {
  kinds?: ReadonlySet<FeedbackKind>;
  /** Lower-cased. */
  reasons?: ReadonlySet<string>;
  sources?: ReadonlySet<FeedbackSource>;
  /** Lower-cased. */
  names?: ReadonlySet<string>;
}

/** The record has a feedback signal of this kind / reason / source / name (all given conditions on one signal). */
export class FeedbackPolicy extends PredicatePolicy {
  readonly type = 'feedback';
  constructor(
    name: string,
    private readonly m: FeedbackMatch,
  ) {
    super(name);
  }

  protected matches(record: LabeledRecord): boolean {
    const m = this.m;
    for (const s of record.feedback) {
      if (m.kinds && !m.kinds.has(s.feedbackKind)) continue;
      if (m.sources && !m.sources.has(s.source)) continue;
      if (m.reasons && (s.reason === undefined || !m.reasons.has(s.reason.trim().toLowerCase()))) continue;
      if (m.names && (s.name === undefined || !m.names.has(s.name.trim().toLowerCase()))) continue;
      return true;
    }
    return false;
  }

  protected describe(): string {
    const m = this.m;
    const parts: string[] = [];
    if (m.kinds) parts.push(`kind∈${list(m.kinds)}`);
    if (m.reasons) parts.push(`reason∈${list(m.reasons)}`);
    if (m.sources) parts.push(`source∈${list(m.sources)}`);
    if (m.names) parts.push(`name∈${list(m.names)}`);
    return `feedback(${parts.join(', ') || 'any'})`;
  }
}
