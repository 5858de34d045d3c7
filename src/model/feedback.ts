import type { SpanRef } from './interaction';

export const FEEDBACK_KINDS = [
  'thumbs',
  'rating',
  'correction',
  'edit',
  'accept',
  'reject',
  'retry',
  'copy',
  'abandon',
  'task_outcome',
  'evaluation', // gen_ai.evaluation.result
] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

export const FEEDBACK_REASONS = [
  'wrong',
  'outdated',
  'unsafe',
  'off_topic',
  'format',
  'tone',
  'incomplete',
  'other',
] as const;

export const FEEDBACK_SOURCES = ['user', 'expert', 'judge', 'system', 'implicit'] as const;
export type FeedbackSource = (typeof FEEDBACK_SOURCES)[number];

/** How a signal names the interaction it is about. */
export interface FeedbackTarget {
  /** feedback.request_id or gen_ai.response.id, when given. */
  requestId?: string;
  /** Span context: the parent span of an evaluation, or a span link. */
  span?: SpanRef;
}

/** One piece of feedback about one interaction. */
export interface FeedbackSignal {
  kind: 'feedback';
  /** Deterministic id: the same signal delivered twice has the same id. */
  signalId: string;
  target: FeedbackTarget;
  feedbackKind: FeedbackKind;
  /** Numeric value: thumbs 1/0, rating, score, edit distance… */
  value?: number;
  /** Categorical value: evaluation score label, accept/reject… */
  label?: string;
  /** One of FEEDBACK_REASONS or free text (redacted). */
  reason?: string;
  /** Corrected answer or the user's final edited text (redacted). */
  text?: string;
  /** Evaluation name (gen_ai.evaluation.name) or implicit signal name. */
  name?: string;
  source: FeedbackSource;
  /** Who or what gave it, pseudonymized by the redact stage. */
  actor?: string;
  observedTimeMs: number;
}
