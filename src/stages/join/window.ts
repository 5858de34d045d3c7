import { createHash } from 'node:crypto';
import type {
  ContentFragment,
  FeedbackSignal,
  Interaction,
  LabeledRecord,
  RedactionSummary,
  SpanRef,
  WindowCloseReason,
} from '../../model';

// A window holds everything known about one request id until it closes. These
// are pure functions over the window value; join.ts does the I/O.

export interface WindowState {
  /** The request id, or a span key ("<trace>:<span>") while the interaction is unknown. */
  key: string;
  interaction?: Interaction;
  fragments: ContentFragment[];
  feedback: FeedbackSignal[];
  /** Processing time the window opened / last changed (Unix ms). */
  firstSeenMs: number;
  lastSeenMs: number;
  /** Latest event time seen in the window. */
  lastEventMs: number;
  redaction: RedactionSummary;
  /** Processing time of the latest explicit signal, for the loop-latency histogram. */
  lastExplicitMs?: number;
  /** Records already emitted for this request id (eager updates). */
  version: number;
  /** Index entries currently pointing at this window, so they can be moved. */
  deadlineMs: number;
  eventDeadlineMs: number;
}

/** What stays under a window's key after it closed, until late_retention passes. */
export interface Tombstone {
  closed: true;
  version: number;
  spanKey?: string;
  closedMs: number;
  /**
   * Ids of the signals the closed window's record carried, so one delivered
   * again after the close (a source re-reading after a crash) is a duplicate,
   * not late feedback. Absent in tombstones written before 0.2.
   */
  signals?: string[];
}

/** A value under w!<key>: an open window or a closed one's tombstone. */
export type Stored = WindowState | Tombstone;
export const isTombstone = (v: Stored | undefined): v is Tombstone => (v as Tombstone | undefined)?.closed === true;

/** The span context as a key: "<trace>:<span>". */
export const spanKey = (s: SpanRef): string => `${s.traceId}:${s.spanId}`;

export function newWindow(key: string, nowMs: number, policyVersion: string): WindowState {
  return {
    key,
    fragments: [],
    feedback: [],
    firstSeenMs: nowMs,
    lastSeenMs: nowMs,
    lastEventMs: 0,
    redaction: { policyVersion, entities: {}, keysRedacted: 0 },
    version: 0,
    deadlineMs: 0,
    eventDeadlineMs: 0,
  };
}

export function mergeRedaction(into: RedactionSummary, add: RedactionSummary): void {
  into.policyVersion = add.policyVersion;
  into.keysRedacted += add.keysRedacted;
  for (const [k, n] of Object.entries(add.entities)) into.entities[k] = (into.entities[k] ?? 0) + n;
}

/** Adds a signal unless the same signal (same id) is already there. Returns false for a duplicate. */
export function addFeedback(w: WindowState, s: FeedbackSignal): boolean {
  for (const f of w.feedback) if (f.signalId === s.signalId) return false;
  w.feedback.push(s);
  return true;
}

/** Adds a content fragment unless an identical one (same span, sequence and time) is there. */
export function addFragment(w: WindowState, f: ContentFragment): boolean {
  for (const g of w.fragments) if (g.sequence === f.sequence && g.timeMs === f.timeMs) return false;
  w.fragments.push(f);
  return true;
}

/** Moves everything a provisional (span-keyed) window holds into the request's window. */
export function absorb(into: WindowState, from: WindowState): { duplicates: number } {
  let duplicates = 0;
  for (const f of from.fragments) if (!addFragment(into, f)) duplicates++;
  for (const s of from.feedback) if (!addFeedback(into, s)) duplicates++;
  into.firstSeenMs = Math.min(into.firstSeenMs, from.firstSeenMs);
  into.lastSeenMs = Math.max(into.lastSeenMs, from.lastSeenMs);
  into.lastEventMs = Math.max(into.lastEventMs, from.lastEventMs);
  mergeRedaction(into.redaction, from.redaction);
  return { duplicates };
}

/**
 * The interaction with its separately-logged content folded in (semconv ≤1.36
 * content log records). Content on the span itself wins; fragments only fill
 * what the span lacks, in the order they were emitted.
 */
export function mergedInteraction(w: WindowState): Interaction | undefined {
  const i = w.interaction;
  if (!i || w.fragments.length === 0) return i;
  const frags = [...w.fragments].sort((a, b) => a.timeMs - b.timeMs || a.sequence - b.sequence);
  const out: Interaction = { ...i };
  if (out.systemInstructions.length === 0) out.systemInstructions = frags.flatMap((f) => f.systemInstructions);
  if (out.inputMessages.length === 0) out.inputMessages = frags.flatMap((f) => f.inputMessages);
  if (out.outputMessages.length === 0) out.outputMessages = frags.flatMap((f) => f.outputMessages);
  if (out.finishReasons.length === 0) {
    out.finishReasons = out.outputMessages.map((m) => m.finishReason).filter((r): r is string => Boolean(r));
  }
  return out;
}

/** Deterministic record id: the same request and version always give the same id. */
export function recordId(requestId: string, version: number): string {
  return createHash('sha256').update(`${requestId}\u0000${version}`).digest('hex').slice(0, 32);
}

export const EXPLICIT_SOURCES = new Set(['user', 'expert', 'judge', 'system']);

export function hasExplicitFeedback(w: WindowState): boolean {
  return w.feedback.some((f) => EXPLICIT_SOURCES.has(f.source));
}

export function toRecord(
  w: WindowState,
  closeReason: WindowCloseReason,
  final: boolean,
  nowMs: number,
  orphanReason?: string,
): LabeledRecord {
  const version = w.version + 1;
  const interaction = mergedInteraction(w);
  const feedback = [...w.feedback].sort((a, b) => a.observedTimeMs - b.observedTimeMs || a.signalId.localeCompare(b.signalId));
  return {
    recordId: recordId(w.key, version),
    requestId: w.key,
    version,
    final,
    closeReason,
    interaction,
    feedback,
    labels: [],
    redaction: { ...w.redaction, entities: { ...w.redaction.entities } },
    firstSeenMs: w.firstSeenMs,
    emittedMs: nowMs,
    orphanReason,
  };
}
