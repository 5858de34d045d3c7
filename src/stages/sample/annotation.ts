// The annotation queue: which kept records become tasks, in what priority,
// under which budgets. After the route's policies keep a record:
//   1. near-duplicate suppression (SimHash of the redacted last user message);
//   2. priority class: negative_with_reason, low_confidence, disagreement, diverse_sample;
//   3. the stratum's budget (if stratify is configured);
//   4. the route budget, where lower classes must leave a reserve for higher ones.
// The task's inclusion probability is the policies' probability × the stratum
// ratio × the route budget's ratio for its class (budget.ts).

import type { AnnotationPriorityReason, AnnotationQuestion, AnnotationTask } from '../../model/outputs';
import type { Label, LabeledRecord, LabelSource } from '../../model/record';
import type { Clock } from '../../telemetry/clock';
import type { DimensionDefinition } from '../label/defaults';
import { lastUserText } from '../label/text';
import { AdmitRatio, describeRate, TokenBucket, type RateSpec } from './budget';
import { lineageOf, stableId } from './lineage';
import { simhash, type Fingerprint, type NearDuplicateFilter } from './simhash';
import type { PolicyCounter } from './stats';
import type { Stratifier } from './stratify';

const EXPLICIT: ReadonlySet<LabelSource> = new Set(['user', 'expert', 'judge']);

/** Why this record deserves a reviewer, in the default priority order (first that applies). */
export function classify(record: LabeledRecord, lowConfidenceBelow: number): AnnotationPriorityReason {
  const labels = record.labels;
  if (labels.some((l) => l.value === false && EXPLICIT.has(l.source) && hasReason(record, l))) return 'negative_with_reason';
  if (labels.length > 0 && labels.every((l) => l.confidence < lowConfidenceBelow)) return 'low_confidence';
  if (disagrees(labels)) return 'disagreement';
  return 'diverse_sample';
}

/** A negative label whose signal says why: a reason (or evaluator explanation), or a corrected / edited text. */
function hasReason(record: LabeledRecord, l: Label): boolean {
  for (const id of l.derivedFrom) {
    const s = record.feedback.find((f) => f.signalId === id);
    if (!s) continue;
    if (s.reason?.trim()) return true;
    if ((s.feedbackKind === 'correction' || s.feedbackKind === 'edit') && s.text?.trim()) return true;
  }
  return false;
}

/** Some dimension has both a true and a false label. */
function disagrees(labels: readonly Label[]): boolean {
  const seen = new Map<string, number>(); // bit 1: true seen, bit 2: false seen
  for (const l of labels) {
    if (typeof l.value !== 'boolean') continue;
    const bits = (seen.get(l.dimension) ?? 0) | (l.value ? 1 : 2);
    if (bits === 3) return true;
    seen.set(l.dimension, bits);
  }
  return false;
}

export const PRIORITY_CLASSES: readonly AnnotationPriorityReason[] = ['negative_with_reason', 'low_confidence', 'disagreement', 'diverse_sample'];

/**
 * Lower is served first: 100 × the class's rank, plus 0..99 by quality score
 * within the class (the worse the output looks, the sooner a reviewer sees it;
 * no score sorts in the middle).
 */
export function priorityOf(reason: AnnotationPriorityReason, qualityScore: number | undefined): number {
  const q = qualityScore === undefined || !Number.isFinite(qualityScore) ? 0.5 : Math.min(1, Math.max(0, qualityScore));
  return PRIORITY_CLASSES.indexOf(reason) * 100 + Math.round(q * 99);
}

/** Overall, plus every dimension the record has labels on; a corrected answer when something was judged wrong. */
export function questionsFor(record: LabeledRecord, dimensions: ReadonlyMap<string, DimensionDefinition>): AnnotationQuestion[] {
  const labeled = new Set(record.labels.map((l) => l.dimension));
  const out: AnnotationQuestion[] = [];
  for (const d of dimensions.values()) {
    if (d.name === 'overall' || labeled.has(d.name)) out.push({ dimension: d.name, question: d.question, answerType: 'binary' });
  }
  for (const name of labeled) {
    if (!dimensions.has(name)) out.push({ dimension: name, question: `Is this true of the response: ${name}?`, answerType: 'binary' });
  }
  if (record.labels.some((l) => l.value === false)) {
    out.push({ dimension: 'overall', question: 'If the response falls short, write the response it should have given.', answerType: 'text' });
  }
  return out;
}

export function buildTask(
  record: LabeledRecord,
  reason: AnnotationPriorityReason,
  inclusionProbability: number,
  dimensions: ReadonlyMap<string, DimensionDefinition>,
): AnnotationTask {
  const i = record.interaction!;
  return {
    taskId: stableId('annotation_task', record.recordId),
    requestId: record.requestId,
    recordId: record.recordId,
    priority: priorityOf(reason, record.qualityScore),
    priorityReason: reason,
    systemInstructions: i.systemInstructions,
    inputMessages: i.inputMessages,
    outputMessages: i.outputMessages,
    feedback: record.feedback,
    labels: record.labels,
    questions: questionsFor(record, dimensions),
    inclusionProbability,
    lineage: lineageOf(i),
    createdMs: record.emittedMs,
  };
}

export interface GateOptions {
  lowConfidenceBelow: number;
  /** Share of the route bucket each class must leave behind, by class. */
  reserve: Readonly<Record<AnnotationPriorityReason, number>>;
  dedupe?: NearDuplicateFilter;
  stratifier?: Stratifier;
  budget?: RateSpec;
  clock: Clock;
  estimateWindowMs: number;
  counters: { nearDuplicate?: PolicyCounter; stratify?: PolicyCounter; budget?: PolicyCounter };
}

export type GateResult =
  | { admitted: true; reason: AnnotationPriorityReason; factor: number; commit: () => void }
  | { admitted: false; why: 'near_duplicate' | 'stratify' | 'budget' };

/** Steps 1–4 above, for a record the route's policies kept. */
export class AnnotationGate {
  private readonly bucket: TokenBucket | undefined;
  // One ratio per class: the reserve makes admission depend on the class.
  private readonly ratios = new Map<AnnotationPriorityReason, AdmitRatio>();

  constructor(private readonly o: GateOptions) {
    this.bucket = o.budget ? new TokenBucket(o.budget, o.clock) : undefined;
    for (const c of PRIORITY_CLASSES) this.ratios.set(c, new AdmitRatio(o.estimateWindowMs, o.clock));
  }

  admit(record: LabeledRecord): GateResult {
    let fp: Fingerprint | undefined;
    if (this.o.dedupe) {
      fp = simhash(lastUserText(record.interaction!));
      if (fp && this.o.dedupe.isDuplicate(fp)) {
        this.o.counters.nearDuplicate?.dropped();
        return { admitted: false, why: 'near_duplicate' };
      }
    }
    const reason = classify(record, this.o.lowConfidenceBelow);
    let factor = 1;
    if (this.o.stratifier) {
      const s = this.o.stratifier.offer(record);
      if (!s.admitted) {
        this.o.counters.stratify?.rateLimited();
        return { admitted: false, why: 'stratify' };
      }
      factor *= s.ratio;
    }
    if (this.bucket) {
      const ok = this.bucket.take(this.o.reserve[reason]);
      const ratio = this.ratios.get(reason)!.record(ok);
      if (!ok) {
        this.o.counters.budget?.rateLimited();
        return { admitted: false, why: 'budget' };
      }
      factor *= ratio;
    }
    // Remember the prompt only once the task is really written, so a refused record does not block its near-twins.
    const dedupe = this.o.dedupe;
    return { admitted: true, reason, factor, commit: () => fp && dedupe?.remember(fp) };
  }

  toString(): string {
    const steps: string[] = [];
    if (this.o.dedupe) steps.push(this.o.dedupe.toString());
    if (this.o.stratifier) steps.push(this.o.stratifier.toString());
    if (this.o.budget) {
      const r = this.o.reserve;
      steps.push(
        `budget(${describeRate(this.o.budget)}; reserve low_confidence ${r.low_confidence}, disagreement ${r.disagreement}, diverse_sample ${r.diverse_sample})`,
      );
    }
    return steps.join(' then ') || 'no limits';
  }
}
