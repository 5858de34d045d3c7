import { createHash } from 'node:crypto';
import { FEEDBACK_KINDS, FEEDBACK_SOURCES, type FeedbackKind, type FeedbackSignal, type FeedbackSource, type FeedbackTarget } from '../../model';
import type { Attributes } from '../../otlp/types';
import type { Resolved } from './common';
import { asNumber, firstString, setIf, str } from './values';

// Explicit feedback: the project's `feedback.*` convention (README.md in this
// folder) and OTel `gen_ai.evaluation.result`. Implicit signals are derived by
// the join, not here.

export const FEEDBACK_EVENT = 'feedback';
export const FEEDBACK_KIND = 'feedback.kind';
export const EVALUATION_EVENT = 'gen_ai.evaluation.result';

const KINDS: ReadonlySet<string> = new Set(FEEDBACK_KINDS);
const SOURCES: ReadonlySet<string> = new Set(FEEDBACK_SOURCES);

/** Where a signal was found: part of its deterministic id. */
export interface SignalOrigin {
  form: 'span' | 'span_event' | 'log';
  traceId: string;
  spanId: string;
  /** Event position within its span (span events only: stable across redelivery of the same span). */
  eventIndex: number;
  timeMs: number;
}

export type FeedbackResult = FeedbackSignal | { dropped: 'invalid_feedback' | 'feedback_without_target' };

/**
 * A `feedback.*` signal. `fallback` is the target used when the attributes
 * name none (a span's first link, the span carrying an event).
 */
export function feedbackSignal(attrs: Attributes, origin: SignalOrigin, fallback: FeedbackTarget | undefined, cfg: Resolved): FeedbackResult {
  const kind = normalizedKind(str(attrs, FEEDBACK_KIND));
  if (kind === undefined) return { dropped: 'invalid_feedback' };
  const source = sourceOf(attrs, 'user');
  if (source === undefined) return { dropped: 'invalid_feedback' };
  const requestId = str(attrs, 'feedback.request_id');
  const target: FeedbackTarget | undefined = requestId !== undefined ? { requestId } : fallback;
  if (target === undefined) return { dropped: 'feedback_without_target' };

  const signal: FeedbackSignal = { kind: 'feedback', signalId: '', target, feedbackKind: kind, source, observedTimeMs: origin.timeMs };
  setIf(signal, 'value', feedbackValue(attrs.get('feedback.value')));
  setIf(signal, 'label', str(attrs, 'feedback.label'));
  setIf(signal, 'reason', str(attrs, 'feedback.reason')?.trim());
  setIf(signal, 'text', str(attrs, 'feedback.text'));
  setIf(signal, 'actor', str(attrs, 'feedback.actor') ?? firstString(attrs, cfg.userIdAttributes));
  signal.signalId = signalId(origin, signal);
  return signal;
}

/**
 * A gen_ai.evaluation.result event. Its target is gen_ai.response.id when the
 * event names one (an id is what the evaluator meant, whatever span it was
 * emitted under), otherwise the span context it is parented to.
 */
export function evaluationSignal(attrs: Attributes, origin: SignalOrigin, spanTarget: FeedbackTarget | undefined): FeedbackResult {
  const source = sourceOf(attrs, 'judge');
  if (source === undefined) return { dropped: 'invalid_feedback' };
  const responseId = str(attrs, 'gen_ai.response.id');
  const target = responseId !== undefined ? { requestId: responseId } : spanTarget;
  if (target === undefined) return { dropped: 'feedback_without_target' };

  const signal: FeedbackSignal = { kind: 'feedback', signalId: '', target, feedbackKind: 'evaluation', source, observedTimeMs: origin.timeMs };
  setIf(signal, 'name', str(attrs, 'gen_ai.evaluation.name'));
  setIf(signal, 'value', asNumber(attrs.get('gen_ai.evaluation.score.value')));
  setIf(signal, 'label', str(attrs, 'gen_ai.evaluation.score.label'));
  setIf(signal, 'reason', str(attrs, 'gen_ai.evaluation.explanation'));
  setIf(signal, 'actor', str(attrs, 'feedback.actor'));
  signal.signalId = signalId(origin, signal);
  return signal;
}

function normalizedKind(raw: string | undefined): FeedbackKind | undefined {
  if (raw === undefined) return undefined;
  const k = raw.trim().toLowerCase();
  return KINDS.has(k) ? (k as FeedbackKind) : undefined;
}

/** feedback.source, or the default when absent; undefined when present but not a known source. */
function sourceOf(attrs: Attributes, dflt: FeedbackSource): FeedbackSource | undefined {
  const raw = str(attrs, 'feedback.source');
  if (raw === undefined) return dflt;
  const s = raw.trim().toLowerCase();
  return SOURCES.has(s) ? (s as FeedbackSource) : undefined;
}

/** Numbers as they are; booleans and thumbs words as 1 / 0. */
export function feedbackValue(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = asNumber(v);
  if (n !== undefined) return n;
  if (typeof v !== 'string') return undefined;
  switch (v.trim().toLowerCase()) {
    case 'up':
    case 'thumbs_up':
    case 'true':
    case 'yes':
      return 1;
    case 'down':
    case 'thumbs_down':
    case 'false':
    case 'no':
      return 0;
    default:
      return undefined;
  }
}

/**
 * SHA-256 over where the signal was found and what it says, truncated to 128
 * bits of hex: the same OTLP delivered twice yields the same id, so the join
 * can drop the duplicate. Nothing here depends on arrival time or batch position.
 */
export function signalId(origin: SignalOrigin, s: FeedbackSignal): string {
  const h = createHash('sha256');
  h.update(origin.form);
  // Whole milliseconds: decoders derive ms from int64 nanoseconds by float
  // arithmetic, and the id must not depend on the last bits of that.
  h.update('\0' + origin.traceId + '\0' + origin.spanId + '\0' + origin.eventIndex + '\0' + Math.round(origin.timeMs));
  h.update('\0' + s.feedbackKind + '\0' + (s.name ?? '') + '\0' + (s.target.requestId ?? ''));
  // Logs have no position to tell two signals at the same instant apart; what they say does.
  h.update('\0' + (s.value ?? '') + '\0' + (s.label ?? '') + '\0' + (s.actor ?? ''));
  return h.digest('hex').slice(0, 32);
}
