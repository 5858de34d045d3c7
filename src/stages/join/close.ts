import type { ComponentCounters } from '../../telemetry/metrics';
import type { LabeledRecord } from '../../model';
import type { Outbox, OutboxDraft } from '../../pipeline/outbox';
import type { JoinConfig } from './config';
import type { JoinMetrics } from './metrics';
import { KEY, encode, parseIndexKey, type Batch, type StateStore } from './store';
import type { ContentFragment, Interaction } from '../../model';
import {
  addFeedback,
  contentRefs,
  toRecord,
  isTombstone,
  spanKey,
  upgradeWindow,
  type Stored,
  type Tombstone,
  type WindowContent,
  type WindowState,
} from './window';
import { implicitSignal, lastUserText, normalizedEditDistance, outputText, TERMINAL_KINDS, type SessionEntry } from './implicit';

// The close path of the join: find windows whose time is up, derive what is
// only known once a window is complete, turn each into its records, and write
// tombstones, index deletions and the outbox entries in one batch. JoinStage
// runs one pass at a time inside its store section and owns the open-window
// count; this file owns what closing a window means.

const EMPTY = Buffer.alloc(0);
const ORPHAN_REASON = 'interaction not received within the join window';

/** Content as stored under c!: an interaction or a content fragment. */
export type StoredContent = Interaction | ContentFragment;

/**
 * Reads the content of windows about to emit, in one read for all of them.
 * Content put by the caller's own pending batch is taken from `pending`.
 * Content that is missing (never the case unless the store was edited) is
 * left out: the record says what is known rather than the service failing.
 */
export async function loadContents(store: StateStore, ws: WindowState[], pending?: Map<string, StoredContent>): Promise<WindowContent[]> {
  const refs = ws.flatMap(contentRefs).filter((r) => !pending?.has(r));
  const values = await store.getMany<StoredContent>(refs);
  const read = new Map<string, StoredContent>();
  refs.forEach((r, i) => values[i] && read.set(r, values[i]!));
  const get = (ref: string): StoredContent | undefined => (ref ? (pending?.get(ref) ?? read.get(ref)) : undefined);
  return ws.map((w) => {
    const interaction = w.inline?.interaction ?? (w.interaction && (get(w.interaction.ref) as Interaction | undefined));
    const fragments = w.inline ? [...w.inline.fragments] : [];
    for (const f of w.fragments) {
      const c = get(f.ref);
      if (c) fragments.push(c as ContentFragment);
    }
    return { interaction, fragments };
  });
}

export interface SweepPass {
  closed: number;
  /** Due index entries read (stale ones included): a full pass means there may be more. */
  scanned: number;
  /** Everything the pass changes, for the caller to complete and write atomically. */
  batch: Batch;
}

export class WindowCloser {
  constructor(
    private readonly config: JoinConfig,
    private readonly store: StateStore,
    private readonly outbox: Outbox,
    private readonly m: JoinMetrics,
    private readonly counters: ComponentCounters,
    /** Label, sample and route (dead-letters a record that cannot be encoded). */
    private readonly decide: (record: LabeledRecord) => OutboxDraft[],
    private readonly observeLoop: (w: WindowState, now: number) => void,
  ) {}

  /** One pass: at most max_windows_per_sweep due index entries, closed or re-indexed. */
  async pass(now: number, watermarkMs: number): Promise<SweepPass> {
    const limit = this.config.max_windows_per_sweep;
    // Window key → the index entries that found it.
    const due = new Map<string, string[]>();
    let scanned = 0;
    const found = (indexKey: string): void => {
      scanned++;
      const { key } = parseIndexKey(indexKey);
      const list = due.get(key);
      if (list) list.push(indexKey);
      else due.set(key, [indexKey]);
    };
    for (const k of await this.store.keys('x!', KEY.expiry(now + 1, ''), limit)) found(k);
    if (scanned < limit && watermarkMs > 0) {
      for (const k of await this.store.keys('e!', KEY.eventExpiry(watermarkMs + 1, ''), limit - scanned)) found(k);
    }
    const batch: Batch = [];
    for (const indexKeys of due.values()) for (const key of indexKeys) batch.push({ type: 'del', key });
    let closed = 0;
    if (due.size > 0) {
      const keys = [...due.keys()];
      const stored = await this.store.getMany<Stored>(keys.map(KEY.window));
      const ws = stored.map((v) => (v && !isTombstone(v) ? upgradeWindow(v) : undefined));
      const sessionIds = ws.map((w) => (this.config.implicit.enabled ? w?.interaction?.sessionId : undefined));
      const sessions = await this.store.getMany<SessionEntry>(sessionIds.map((s) => KEY.session(s ?? '\u0000none')));
      const drafts: OutboxDraft[] = [];
      const closing: Array<{ i: number; basis: string }> = [];
      keys.forEach((key, i) => {
        const w = ws[i];
        if (!w) return; // stale entry (absorbed or closed window): deleted above
        const deadline = w.lastSeenMs + this.config.window;
        const eventDeadline = w.lastEventMs + this.config.window;
        const dueNow = deadline <= now || eventDeadline <= watermarkMs;
        if (!dueNow) {
          // Events arrived after the entry was written: index the window anew.
          for (const indexKey of due.get(key)!) {
            if (indexKey.startsWith('x!')) w.deadlineMs = deadline;
            else w.eventDeadlineMs = eventDeadline;
          }
          batch.push(
            { type: 'put', key: KEY.window(key), value: encode(w) },
            { type: 'put', key: KEY.expiry(w.deadlineMs, key), value: EMPTY },
            { type: 'put', key: KEY.eventExpiry(w.eventDeadlineMs, key), value: EMPTY },
          );
          return;
        }
        closing.push({ i, basis: deadline <= now ? 'processing_time' : 'event_time' });
      });
      const contents = await loadContents(this.store, closing.map(({ i }) => ws[i]!));
      closing.forEach(({ i, basis }, n) => {
        const key = keys[i]!;
        const w = ws[i]!;
        drafts.push(...this.closeWindow(w, contents[n]!, sessionIds[i] ? sessions[i] : undefined, now, basis));
        for (const ref of contentRefs(w)) batch.push({ type: 'del', key: ref });
        // The other index entry (if not found by this sweep) goes stale and is dropped when found.
        batch.push({ type: 'del', key: KEY.expiry(w.deadlineMs, key) }, { type: 'del', key: KEY.eventExpiry(w.eventDeadlineMs, key) });
        if (w.interaction) {
          const stone: Tombstone = {
            closed: true,
            version: w.version + 1,
            spanKey: spanKey(w.interaction.span),
            closedMs: now,
            signals: w.feedback.filter((f) => f.source !== 'implicit').map((f) => f.signalId),
          };
          batch.push(
            { type: 'put', key: KEY.window(key), value: encode(stone) },
            { type: 'put', key: KEY.tombstoneExpiry(now + this.config.late_retention, key), value: EMPTY },
          );
        } else {
          batch.push({ type: 'del', key: KEY.window(key) });
        }
        closed++;
      });
      this.outbox.stage(drafts, batch);
    }
    await this.expireTombstones(now, batch);
    return { closed, scanned, batch };
  }

  private closeWindow(w: WindowState, content: WindowContent, session: SessionEntry | undefined, now: number, timeBasis: string): OutboxDraft[] {
    this.m.closed.labels(timeBasis).inc();
    if (!content.interaction) {
      if (w.feedback.length === 0) {
        // Content logs whose span never arrived carry no label and no request id.
        this.counters.dropped('content_without_interaction');
        return [];
      }
      this.m.orphaned.labels('no_interaction').inc();
      return this.decide(toRecord(w, content, 'orphan', true, now, ORPHAN_REASON));
    }
    if (this.config.implicit.enabled) this.deriveAtClose(w, content.interaction, session, now);
    if (w.feedback.length > 0) this.m.joined.inc();
    this.observeLoop(w, now);
    return this.decide(toRecord(w, content, 'window_expired', true, now));
  }

  /** Edit distance and abandonment, which are only known once the window is complete. */
  private deriveAtClose(w: WindowState, i: Interaction, session: SessionEntry | undefined, now: number): void {
    const out = outputText(i);
    for (const f of [...w.feedback]) {
      if ((f.feedbackKind === 'edit' || f.feedbackKind === 'correction') && f.text && out && f.source !== 'implicit') {
        const d = normalizedEditDistance(out, f.text);
        const s = implicitSignal(w.key, 'edit', 'edit_distance', d, f.observedTimeMs, f.signalId);
        if (addFeedback(w, s)) this.m.implicit.labels('edit_distance').inc();
      }
    }
    const terminal = w.feedback.some((f) => TERMINAL_KINDS.has(f.feedbackKind) || f.name === 'moved_on' || f.name === 'reformulation');
    if (session && session.requestId === w.key && !terminal && lastUserText(i)) {
      const s = implicitSignal(w.key, 'abandon', 'abandonment', 1, now, 'session_quiet');
      if (addFeedback(w, s)) this.m.implicit.labels('abandonment').inc();
    }
  }

  private async expireTombstones(now: number, batch: Batch): Promise<void> {
    const keys = await this.store.keys('y!', KEY.tombstoneExpiry(now + 1, ''), this.config.max_windows_per_sweep);
    if (keys.length === 0) return;
    const reqIds = keys.map((k) => parseIndexKey(k).key);
    const stones = await this.store.getMany<Stored>(reqIds.map(KEY.window));
    keys.forEach((k, i) => {
      batch.push({ type: 'del', key: k });
      const stone = stones[i];
      if (!isTombstone(stone)) return;
      batch.push({ type: 'del', key: KEY.window(reqIds[i]!) });
      if (stone.spanKey) batch.push({ type: 'del', key: KEY.alias(stone.spanKey) });
    });
  }
}
