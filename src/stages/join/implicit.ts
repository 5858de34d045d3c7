import { createHash } from 'node:crypto';
import type { FeedbackKind, FeedbackSignal, Interaction } from '../../model';

// Implicit signals: what users tell us without clicking anything. Pure
// functions; the join decides when to call them.

/** Text of the last user message: what a retry would reformulate. */
export function lastUserText(i: Interaction): string {
  for (let m = i.inputMessages.length - 1; m >= 0; m--) {
    const msg = i.inputMessages[m]!;
    if (msg.role !== 'user') continue;
    const text = msg.parts.map((p) => (p.type === 'text' ? p.content : '')).join(' ').trim();
    if (text) return text;
  }
  return '';
}

export function outputText(i: Interaction): string {
  return i.outputMessages
    .flatMap((m) => m.parts)
    .map((p) => (p.type === 'text' ? p.content : ''))
    .join('\n')
    .trim();
}

/** Characters of a prompt compared for reformulation: a retry restates the question, which sits up front. */
const MAX_PROMPT_COMPARE = 400;
/** Words compared for edit distance: bounds the O(n·m) work to 1M cells. */
const MAX_EDIT_WORDS = 1000;

/**
 * The distinct character trigrams of a prompt's head (lower-cased, runs of
 * white space as one space, padded), each packed into one number (three
 * UTF-16 code units, 48 bits, exact in a double), in first-seen order.
 * Numbers rather than 3-character strings: no allocation per trigram, and
 * nothing for the garbage collector to trace when a session's set is cached.
 */
export function promptTrigrams(s: string): Float64Array {
  const t = ` ${s.slice(0, MAX_PROMPT_COMPARE).toLowerCase().replace(/\s+/g, ' ')} `;
  const n = Math.max(0, t.length - 2);
  const out = new Float64Array(n);
  const table = emptyTable(n);
  let u = 0;
  for (let i = 0; i < n; i++) {
    const code = (t.charCodeAt(i) * 65536 + t.charCodeAt(i + 1)) * 65536 + t.charCodeAt(i + 2);
    if (insert(table, code)) out[u++] = code;
  }
  return out.subarray(0, u);
}

/** Jaccard similarity of character trigrams, 0..1: robust to small rewordings. */
export function similarity(a: string, b: string): number {
  if (!a || !b) return 0;
  return jaccard(promptTrigrams(a), promptTrigrams(b));
}

/** Jaccard similarity of two distinct-trigram arrays (promptTrigrams). */
export function jaccard(A: Float64Array, B: Float64Array): number {
  if (A.length === 0 || B.length === 0) return 0;
  const table = emptyTable(B.length);
  for (let j = 0; j < B.length; j++) insert(table, B[j]!);
  let inter = 0;
  for (let i = 0; i < A.length; i++) if (contains(table, A[i]!)) inter++;
  const union = A.length + B.length - inter;
  return union === 0 ? 0 : inter / union;
}

// An open-addressing set of trigram codes, reused between calls (one thread,
// no re-entrancy): a power-of-two table at most half full, -1 for empty.
let scratch = new Float64Array(2048);

function emptyTable(entries: number): Float64Array {
  let size = scratch.length;
  while (size < entries * 2) size *= 2;
  if (size !== scratch.length) scratch = new Float64Array(size);
  scratch.fill(-1);
  return scratch;
}

function slot(table: Float64Array, code: number): number {
  const lo = code >>> 0; // low 32 bits (exact: codes are integers below 2^48)
  const hi = (code / 4294967296) | 0;
  return (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 0) & (table.length - 1);
}

/** Adds `code`; false if it was there already. */
function insert(table: Float64Array, code: number): boolean {
  const mask = table.length - 1;
  for (let h = slot(table, code); ; h = (h + 1) & mask) {
    const v = table[h]!;
    if (v === -1) {
      table[h] = code;
      return true;
    }
    if (v === code) return false;
  }
}

function contains(table: Float64Array, code: number): boolean {
  const mask = table.length - 1;
  for (let h = slot(table, code); ; h = (h + 1) & mask) {
    const v = table[h]!;
    if (v === -1) return false;
    if (v === code) return true;
  }
}

/**
 * Word-level Levenshtein distance divided by the longer word count: 0
 * (identical) .. 1 (nothing kept). Words rather than characters because an
 * edit is judged by how much of the answer the user rewrote, and because it is
 * ~6x cheaper on prose. Two-row DP over word ids, capped at MAX_EDIT_WORDS.
 */
export function normalizedEditDistance(a: string, b: string): number {
  if (a === b) return 0;
  const ids = new Map<string, number>();
  const toIds = (s: string): Uint32Array => {
    const words = s.split(/\s+/).filter(Boolean).slice(0, MAX_EDIT_WORDS);
    const out = new Uint32Array(words.length);
    words.forEach((w, i) => {
      let id = ids.get(w);
      if (id === undefined) ids.set(w, (id = ids.size));
      out[i] = id;
    });
    return out;
  };
  const s = toIds(a);
  const t = toIds(b);
  if (!s.length || !t.length) return s.length === t.length ? 0 : 1;
  let prev = new Uint32Array(t.length + 1);
  let cur = new Uint32Array(t.length + 1);
  for (let j = 0; j <= t.length; j++) prev[j] = j;
  for (let i = 1; i <= s.length; i++) {
    cur[0] = i;
    const si = s[i - 1];
    for (let j = 1; j <= t.length; j++) {
      const sub = prev[j - 1]! + (si === t[j - 1] ? 0 : 1);
      const del = prev[j]! + 1;
      const ins = cur[j - 1]! + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : del < ins ? del : ins;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[t.length]! / Math.max(s.length, t.length);
}

/** An implicit signal with an id derived from what caused it, so replays dedupe. */
export function implicitSignal(
  requestId: string,
  kind: FeedbackKind,
  name: string,
  value: number,
  observedTimeMs: number,
  cause: string,
): FeedbackSignal {
  const signalId = createHash('sha256').update(`implicit\u0000${requestId}\u0000${name}\u0000${cause}`).digest('hex').slice(0, 32);
  return {
    kind: 'feedback',
    signalId,
    target: { requestId },
    feedbackKind: kind,
    value,
    name,
    source: 'implicit',
    observedTimeMs,
  };
}

/** What the session index remembers about the latest interaction of a session. */
export interface SessionEntry {
  requestId: string;
  /** Redacted, truncated last user message. */
  prompt: string;
  timeMs: number;
}

export function sessionEntry(i: Interaction): SessionEntry {
  return { requestId: i.requestId, prompt: lastUserText(i).slice(0, MAX_PROMPT_COMPARE), timeMs: i.startTimeMs };
}

/** Terminal explicit signals: with one of these, a quiet session was not abandoned. */
export const TERMINAL_KINDS: ReadonlySet<FeedbackKind> = new Set(['accept', 'copy', 'task_outcome', 'reject', 'correction', 'edit']);
