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

/**
 * What an open window keeps of its interaction. The content (messages, tool
 * calls) is stored apart under `ref`: written once when it arrives and read
 * once when the window emits, instead of with every update of the window.
 */
export interface InteractionHead {
  span: SpanRef;
  endTimeMs: number;
  sessionId?: string;
  ref: string;
}

/** A content fragment's identity (for duplicates) and where its content is stored. */
export interface FragmentHead {
  sequence: number;
  timeMs: number;
  ref: string;
}

/** A window's content, loaded from the store when it emits a record. */
export interface WindowContent {
  interaction?: Interaction;
  fragments: ContentFragment[];
}

export const NO_CONTENT: WindowContent = Object.freeze({ fragments: [] }) as WindowContent;

export interface WindowState {
  /** The request id, or a span key ("<trace>:<span>") while the interaction is unknown. */
  key: string;
  interaction?: InteractionHead;
  fragments: FragmentHead[];
  feedback: FeedbackSignal[];
  /**
   * Content held in the window value itself: windows written before content
   * was stored apart kept it there, and keep it until they close. New windows
   * never have it.
   */
  inline?: WindowContent;
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
   * not late feedback. Absent in tombstones written before they kept it.
   */
  signals?: string[];
}

/** A value under w!<key>: an open window or a closed one's tombstone. */
export type Stored = WindowState | Tombstone;
export const isTombstone = (v: Stored | undefined): v is Tombstone => (v as Tombstone | undefined)?.closed === true;

/**
 * A window as read from the store. One written before content was stored
 * apart held it inline (whole interaction and fragments, no refs): it becomes
 * a window with heads and that content under `inline`, emitted when it closes.
 */
export function upgradeWindow(w: WindowState): WindowState {
  const legacy = w as unknown as { interaction?: Interaction | InteractionHead; fragments: Array<ContentFragment | FragmentHead> };
  if (w.inline || (w.interaction ? 'ref' in w.interaction : w.fragments.every((f) => 'ref' in f))) return w;
  const interaction = legacy.interaction as Interaction | undefined;
  const fragments = legacy.fragments as ContentFragment[];
  return {
    ...w,
    interaction: interaction && { span: interaction.span, endTimeMs: interaction.endTimeMs, sessionId: interaction.sessionId, ref: '' },
    fragments: fragments.map((f) => ({ sequence: f.sequence, timeMs: f.timeMs, ref: '' })),
    inline: { interaction, fragments },
  };
}

/** Store keys of the content a window refers to (inline content has none). */
export function contentRefs(w: WindowState): string[] {
  const refs: string[] = [];
  if (w.interaction?.ref) refs.push(w.interaction.ref);
  for (const f of w.fragments) if (f.ref) refs.push(f.ref);
  return refs;
}

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

/** Adds a content fragment's head unless an identical one (same sequence and time) is there. Returns false for a duplicate. */
export function addFragment(w: WindowState, f: FragmentHead): boolean {
  for (const g of w.fragments) if (g.sequence === f.sequence && g.timeMs === f.timeMs) return false;
  w.fragments.push(f);
  return true;
}

/**
 * Moves everything a provisional (span-keyed) window holds into the request's
 * window. Its content stays where it is stored; the heads move. `orphaned`
 * lists the stored content of duplicates, for the caller to delete.
 */
export function absorb(into: WindowState, from: WindowState): { duplicates: number; orphaned: string[] } {
  let duplicates = 0;
  const orphaned: string[] = [];
  from.fragments.forEach((f, i) => {
    if (!addFragment(into, f)) {
      duplicates++;
      if (f.ref) orphaned.push(f.ref);
    } else if (!f.ref && from.inline) {
      // A window from before content was stored apart: fragments inline, in head order.
      (into.inline ??= { fragments: [] }).fragments.push(from.inline.fragments[i]!);
    }
  });
  for (const s of from.feedback) if (!addFeedback(into, s)) duplicates++;
  into.firstSeenMs = Math.min(into.firstSeenMs, from.firstSeenMs);
  into.lastSeenMs = Math.max(into.lastSeenMs, from.lastSeenMs);
  into.lastEventMs = Math.max(into.lastEventMs, from.lastEventMs);
  mergeRedaction(into.redaction, from.redaction);
  return { duplicates, orphaned };
}

/**
 * The interaction with its separately-logged content folded in (semconv ≤1.36
 * content log records). Content on the span itself wins; fragments only fill
 * what the span lacks, in the order they were emitted.
 */
export function mergedInteraction(c: WindowContent): Interaction | undefined {
  const i = c.interaction;
  if (!i || c.fragments.length === 0) return i;
  const frags = [...c.fragments].sort((a, b) => a.timeMs - b.timeMs || a.sequence - b.sequence);
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
  content: WindowContent,
  closeReason: WindowCloseReason,
  final: boolean,
  nowMs: number,
  orphanReason?: string,
): LabeledRecord {
  const version = w.version + 1;
  const interaction = mergedInteraction(content);
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
