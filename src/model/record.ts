import type { ContentFragment, Interaction } from './interaction';
import type { FeedbackSignal } from './feedback';

/** What flows from normalize through redact into the join. */
export type PipelineEvent = Interaction | ContentFragment | FeedbackSignal;

/** Entity types and counts found by redaction — never values or positions. */
export interface RedactionSummary {
  policyVersion: string;
  entities: Record<string, number>;
  /** Attribute keys removed or masked by key rules. */
  keysRedacted: number;
}

export const LABEL_DIMENSIONS = [
  'overall',
  'factual_accuracy',
  'format_compliance',
  'tone_style',
  'completeness',
  'safety',
] as const;

export type LabelSource = 'user' | 'expert' | 'judge' | 'implicit' | 'rule';

export interface Label {
  dimension: string;
  /** Binary where possible. */
  value?: boolean;
  score?: number;
  source: LabelSource;
  confidence: number;
  /** The criterion this label stands for, in words a reviewer can check. */
  criterion: string;
  /** The signal ids or rule name it was derived from. */
  derivedFrom: string[];
}

export interface SamplingDecision {
  /** Probability that a record like this one was kept; weight = 1 / probability. */
  probability: number;
  policy: string;
  routes: string[];
}

export type WindowCloseReason = 'window_expired' | 'eager_feedback' | 'shutdown' | 'orphan';

/** One interaction with everything known about it: what ML teams consume. */
export interface LabeledRecord {
  /** Deterministic: hash of request id and version. Consumers dedupe on it. */
  recordId: string;
  requestId: string;
  /** Increments on every emission for this request id (eager mode updates). */
  version: number;
  final: boolean;
  closeReason: WindowCloseReason;
  /** Absent for orphaned feedback. */
  interaction?: Interaction;
  feedback: FeedbackSignal[];
  labels: Label[];
  qualityScore?: number;
  redaction: RedactionSummary;
  sampling?: SamplingDecision;
  /** When the window opened and when the record was emitted (Unix ms). */
  firstSeenMs: number;
  emittedMs: number;
  /** Why the interaction is missing, for orphans. */
  orphanReason?: string;
}

/** What cannot be processed goes to the dead-letter sink with its reason. */
export interface DeadLetter {
  /** Stable machine-readable reason code, e.g. "otlp_decode", "redaction_failed". */
  reason: string;
  /** Human-readable detail; never contains payload content. */
  detail: string;
  /** Which component gave up on it. */
  component: string;
  receivedMs: number;
  /** e.g. application/x-protobuf, otlp_proto. */
  contentType?: string;
  /** The original payload, only where it cannot contain unredacted content (never for redaction failures). */
  payload?: Uint8Array;
  payloadSha256?: string;
}
