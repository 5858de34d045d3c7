import type { ComponentContext } from '../../telemetry/metrics';
import type { FeedbackSignal, Interaction, LabeledRecord, PipelineEvent, RedactionSummary } from '../../model';
import type { Outbox, OutboxDraft } from '../../pipeline/outbox';
import type { JoinConfig } from './config';
import { errorMessage } from '../../pipeline/errors';
import { deadLetterDraft } from '../../pipeline/decide';
import { KEY, encode, type Batch, type StateStore } from './store';
import { WindowCloser, loadContents, type StoredContent } from './close';
import { joinMetrics, type JoinMetrics } from './metrics';
import {
  absorb,
  addFeedback,
  addFragment,
  hasExplicitFeedback,
  mergeRedaction,
  newWindow,
  toRecord,
  isTombstone,
  spanKey,
  upgradeWindow,
  EXPLICIT_SOURCES,
  NO_CONTENT,
  type Stored,
  type Tombstone,
  type WindowState,
} from './window';
import { implicitSignal, jaccard, promptTrigrams, sessionEntry, type SessionEntry } from './implicit';

export { spanKey } from './window';

/** An event after redaction, with what redaction found in it. */
export interface RedactedEvent {
  event: PipelineEvent;
  redaction: RedactionSummary;
}

/** Label, sample and route a record: what to write, to which topics. */
export type Decide = (record: LabeledRecord) => OutboxDraft[];

const OPEN_KEY = KEY.meta('open_windows');


const EMPTY = Buffer.alloc(0);
/** Prompts whose trigram codes stay cached (one typed array each, a few KiB at most). */
const GRAM_CACHE = 4096;
const LATE_ORPHAN_REASON = 'late: the window for this request id had already closed';

/**
 * The stateful heart of the service: one window per request id, on disk.
 * `accept` makes a batch of events durable (the caller acknowledges its client
 * after it resolves); `sweep` closes windows whose time is up and writes their
 * records to the outbox in the same atomic batch that deletes them.
 */
export class JoinStage {
  private readonly counters;
  private readonly m: JoinMetrics;
  private readonly closer: WindowCloser;
  private watermarkMs = 0;
  private openWindows = 0;
  private pending: Array<{ items: RedactedEvent[]; resolve: () => void; reject: (err: unknown) => void }> = [];
  private groupScheduled = false;
  /**
   * Trigram sets of the latest prompts (already redacted), by request id, so a
   * session's next interaction compares against a set made once. Bounded; a
   * miss recomputes from the session entry.
   */
  private readonly grams = new Map<string, Float64Array>();

  constructor(
    private readonly config: JoinConfig,
    private readonly store: StateStore,
    private readonly outbox: Outbox,
    private decide: Decide,
    private readonly ctx: ComponentContext,
    private readonly policyVersion: string,
  ) {
    this.counters = ctx.metrics.component('join');
    this.m = joinMetrics(ctx.metrics);
    this.closer = new WindowCloser(config, store, outbox, this.m, this.counters, (r) => this.safeDecide(r), (w, now) => this.observeLoop(w, now));
  }

  /** Swaps the label/sample/route step (live reload); windows in flight are untouched. */
  setDecide(decide: Decide): void {
    this.decide = decide;
  }

  /** Restores the open-window count (kept in the store with every batch) so the gauge is right after a restart. */
  async init(): Promise<void> {
    this.openWindows = (await this.store.get<number>(OPEN_KEY)) ?? 0;
    this.m.open.set(this.openWindows);
  }

  open(): number {
    return this.openWindows;
  }

  /**
   * Makes the events durable in their windows. Resolves when they are on disk.
   * Group commit: calls that arrive while the store is busy are merged into one
   * batch, so concurrent requests share one read pass and one write.
   */
  accept(items: RedactedEvent[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      if (!this.groupScheduled) {
        this.groupScheduled = true;
        void this.store.exclusive(() => this.commitGroup());
      }
    });
  }

  private async commitGroup(): Promise<void> {
    this.groupScheduled = false;
    const group = this.pending;
    this.pending = [];
    const items = group.length === 1 ? group[0]!.items : group.flatMap((g) => g.items);
    try {
      await this.acceptLocked(items);
      for (const g of group) g.resolve();
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  }

  private async acceptLocked(items: RedactedEvent[]): Promise<void> {
    const now = this.ctx.clock.now();
    this.counters.received(items.length);

    // Phase 1: what the batch needs to know before it can name its windows.
    const aliasKeys = new Set<string>();
    const sessionKeys = new Set<string>();
    for (const { event } of items) {
      if (event.kind === 'content') aliasKeys.add(spanKey(event.span));
      else if (event.kind === 'feedback' && !event.target.requestId && event.target.span) aliasKeys.add(spanKey(event.target.span));
      else if (event.kind === 'interaction' && event.sessionId && this.config.implicit.enabled) sessionKeys.add(event.sessionId);
    }
    const aliasList = [...aliasKeys];
    const aliases = new Map<string, string>();
    (await this.store.getMany<string>(aliasList.map(KEY.alias))).forEach((v, i) => v && aliases.set(aliasList[i]!, v));
    for (const { event } of items) {
      if (event.kind === 'interaction') {
        const sk = spanKey(event.span);
        if (sk !== event.requestId) aliases.set(sk, event.requestId);
      }
    }
    const sessionList = [...sessionKeys];
    const sessions = new Map<string, SessionEntry>();
    (await this.store.getMany<SessionEntry>(sessionList.map(KEY.session))).forEach((v, i) => v && sessions.set(sessionList[i]!, v));

    const keyOf = (e: PipelineEvent): string => {
      if (e.kind === 'interaction') return e.requestId;
      if (e.kind === 'content') return aliases.get(spanKey(e.span)) ?? spanKey(e.span);
      if (e.target.requestId) return e.target.requestId;
      if (e.target.span) return aliases.get(spanKey(e.target.span)) ?? spanKey(e.target.span);
      return `unresolved:${e.signalId}`;
    };

    // Phase 2: load every window, provisional window and tombstone involved.
    const windowKeys = new Set<string>();
    for (const { event } of items) {
      windowKeys.add(keyOf(event));
      if (event.kind === 'interaction') {
        const sk = spanKey(event.span);
        if (sk !== event.requestId) windowKeys.add(sk);
      }
    }
    for (const s of sessions.values()) windowKeys.add(s.requestId);
    const keys = [...windowKeys];
    const loaded = await this.store.getMany<Stored>(keys.map(KEY.window));
    const windows = new Map<string, WindowState>();
    const tombstones = new Map<string, Tombstone>();
    keys.forEach((k, i) => {
      const v = loaded[i];
      if (isTombstone(v)) tombstones.set(k, v);
      else if (v) windows.set(k, upgradeWindow(v));
    });

    const batch: Batch = [];
    const drafts: OutboxDraft[] = [];
    const touched = new Set<string>();
    const deleted = new Set<string>();
    const eagerDue = new Set<string>();
    const created = new Set<string>();
    // Content this batch stores, by its key: eager records read it from here.
    const content = new Map<string, StoredContent>();
    const putContent = (k: string, c: StoredContent): string => {
      batch.push({ type: 'put', key: k, value: encode(c) });
      content.set(k, c);
      return k;
    };
    const windowFor = (k: string): WindowState => {
      let w = windows.get(k);
      if (!w) {
        w = newWindow(k, now, this.policyVersion);
        windows.set(k, w);
        created.add(k);
        this.openWindows++;
      }
      touched.add(k);
      deleted.delete(k);
      return w;
    };
    const touch = (w: WindowState, eventMs: number, redaction: RedactionSummary): void => {
      w.lastSeenMs = now;
      if (eventMs > w.lastEventMs) w.lastEventMs = eventMs;
      mergeRedaction(w.redaction, redaction);
      this.advanceWatermark(eventMs, now);
    };

    for (const { event, redaction } of items) {
      const key = keyOf(event);
      const stone = tombstones.get(key);
      if (event.kind === 'interaction') {
        if (stone) {
          this.m.late.labels('interaction').inc();
          this.counters.dropped('late_interaction');
          continue;
        }
        const w = windowFor(key);
        if (w.interaction) {
          this.m.duplicate.labels('interaction').inc();
          continue;
        }
        const ref = putContent(KEY.content(key, 'i'), event);
        w.interaction = { span: event.span, endTimeMs: event.endTimeMs, sessionId: event.sessionId, ref };
        touch(w, event.endTimeMs, redaction);
        const sk = spanKey(event.span);
        if (sk !== key) {
          batch.push({ type: 'put', key: KEY.alias(sk), value: encode(key) });
          const provisional = windows.get(sk);
          if (provisional && !deleted.has(sk)) {
            const { duplicates, orphaned } = absorb(w, provisional);
            if (duplicates) this.m.duplicate.labels('merged').inc(duplicates);
            for (const r of orphaned) batch.push({ type: 'del', key: r });
            windows.delete(sk);
            touched.delete(sk);
            deleted.add(sk);
            this.openWindows--;
          }
        }
        for (const f of w.feedback) this.observeDelay(event.endTimeMs, f);
        if (this.config.mode === 'eager' && hasExplicitFeedback(w)) eagerDue.add(key);
        this.trackSession(event, sessions, windows, touched, batch, now);
      } else if (event.kind === 'content') {
        if (stone) {
          this.m.late.labels('content').inc();
          this.counters.dropped('late_content');
          continue;
        }
        const w = windowFor(key);
        const ref = KEY.content(key, `f${event.sequence}.${event.timeMs}`);
        if (addFragment(w, { sequence: event.sequence, timeMs: event.timeMs, ref })) {
          putContent(ref, event);
        } else {
          this.m.duplicate.labels('content').inc();
        }
        touch(w, event.timeMs, redaction);
      } else {
        if (stone?.signals?.includes(event.signalId)) {
          // Delivered again after its window closed: the record already carries it.
          this.m.duplicate.labels('feedback').inc();
          continue;
        }
        if (stone) {
          // The record for this request is out; the signal still must not be lost.
          this.m.late.labels('feedback').inc();
          drafts.push(...this.orphanDrafts(key, event, redaction, now, LATE_ORPHAN_REASON, 'late'));
          continue;
        }
        const w = windowFor(key);
        if (!addFeedback(w, event)) {
          this.m.duplicate.labels('feedback').inc();
          continue;
        }
        touch(w, event.observedTimeMs, redaction);
        if (w.interaction) this.observeDelay(w.interaction.endTimeMs, event);
        if (EXPLICIT_SOURCES.has(event.source)) {
          w.lastExplicitMs = now;
          if (this.config.mode === 'eager' && w.interaction) eagerDue.add(key);
        }
      }
    }

    const eager = [...eagerDue].filter((key) => windows.has(key) && !deleted.has(key)).map((key) => windows.get(key)!);
    if (eager.length) {
      const contents = await loadContents(this.store, eager, content);
      eager.forEach((w, i) => {
        const record = toRecord(w, contents[i]!, 'eager_feedback', false, now);
        w.version = record.version;
        this.observeLoop(w, now);
        drafts.push(...this.safeDecide(record));
      });
    }

    for (const key of deleted) {
      // An absorbed provisional window. Its index entries are left behind on
      // purpose: the sweep finds no window under them and deletes them.
      if (!created.has(key)) batch.push({ type: 'del', key: KEY.window(key) });
    }
    for (const key of touched) {
      const w = windows.get(key)!;
      if (created.has(key)) {
        // Index entries are written once, when a window opens. Later events only
        // move the deadline inside the window value; the sweep re-indexes a
        // window it finds not yet due. One write per update instead of five.
        w.deadlineMs = w.lastSeenMs + this.config.window;
        w.eventDeadlineMs = w.lastEventMs + this.config.window;
        batch.push(
          { type: 'put', key: KEY.expiry(w.deadlineMs, key), value: EMPTY },
          { type: 'put', key: KEY.eventExpiry(w.eventDeadlineMs, key), value: EMPTY },
        );
      }
      batch.push({ type: 'put', key: KEY.window(key), value: encode(w) });
    }
    batch.push({ type: 'put', key: OPEN_KEY, value: encode(this.openWindows) });
    this.outbox.stage(drafts, batch);
    await this.store.write(batch);
    this.counters.emitted(items.length);
    this.m.open.set(this.openWindows);
    if (drafts.length) this.outbox.notify();
  }

  /**
   * Implicit retry / moved-on: compares a new interaction with the previous
   * one of its session. Mutates the previous window (if still open) in place.
   */
  private trackSession(
    i: Interaction,
    sessions: Map<string, SessionEntry>,
    windows: Map<string, WindowState>,
    touched: Set<string>,
    batch: Batch,
    now: number,
  ): void {
    if (!i.sessionId || !this.config.implicit.enabled) return;
    const prev = sessions.get(i.sessionId);
    const entry = sessionEntry(i);
    const grams = promptTrigrams(entry.prompt);
    this.grams.set(i.requestId, grams);
    if (this.grams.size > GRAM_CACHE) this.grams.delete(this.grams.keys().next().value!);
    if (prev && prev.requestId !== i.requestId) {
      const gap = i.startTimeMs - prev.timeMs;
      const prevWindow = windows.get(prev.requestId);
      if (gap >= 0 && gap <= this.config.implicit.retry_window && prevWindow) {
        const sim = prev.prompt && entry.prompt ? jaccard(this.grams.get(prev.requestId) ?? promptTrigrams(prev.prompt), grams) : 0;
        const retry = sim >= this.config.implicit.retry_similarity;
        const signal = retry
          ? implicitSignal(prev.requestId, 'retry', 'reformulation', sim, i.startTimeMs, i.requestId)
          : implicitSignal(prev.requestId, 'accept', 'moved_on', 1 - sim, i.startTimeMs, i.requestId);
        if (addFeedback(prevWindow, signal)) {
          this.m.implicit.labels(signal.name!).inc();
          prevWindow.lastSeenMs = now; // a signal is an event: the window stays open after it
          touched.add(prev.requestId);
        }
      }
      if (gap < 0) return; // an older interaction delivered late: keep the newer session entry
    }
    sessions.set(i.sessionId, entry);
    batch.push({ type: 'put', key: KEY.session(i.sessionId), value: encode(entry) });
  }

  private advanceWatermark(eventMs: number, now: number): void {
    // A clock far in the future must not close everyone's windows early.
    const trusted = Math.min(eventMs, now + this.config.max_event_time_skew);
    if (trusted > this.watermarkMs) this.watermarkMs = trusted;
  }

  private observeDelay(interactionEndMs: number, f: FeedbackSignal): void {
    if (f.source === 'implicit') return;
    const d = (f.observedTimeMs - interactionEndMs) / 1000;
    if (Number.isFinite(d) && d >= 0) this.m.feedbackDelay.observe(d);
  }

  private observeLoop(w: WindowState, now: number): void {
    const t = w.lastExplicitMs;
    if (t !== undefined) this.m.loopLatency.observe(Math.max(0, now - t) / 1000);
  }

  private orphanDrafts(
    key: string,
    signal: FeedbackSignal,
    redaction: RedactionSummary,
    now: number,
    reason: string,
    label: string,
  ): OutboxDraft[] {
    const w = newWindow(key, now, this.policyVersion);
    w.feedback.push(signal);
    mergeRedaction(w.redaction, redaction);
    // Version 0 stays free for the real window; late orphans get ids of their own.
    const record = toRecord(w, NO_CONTENT, 'orphan', true, now, reason);
    record.recordId = `${record.recordId.slice(0, 16)}${signal.signalId.slice(0, 16)}`;
    this.m.orphaned.labels(label).inc();
    return this.safeDecide(record);
  }

  /** Closes windows whose time is up. Returns how many closed. */
  async sweep(): Promise<number> {
    // Pass after pass, each in its own store section so ingestion interleaves,
    // until a pass finds fewer due index entries than it may take. A full pass
    // can close nothing (its entries stale: absorbed provisional windows, or
    // windows re-indexed to a later deadline), so "closed 0" alone must not
    // end the sweep — that once left windows open behind a wall of stale entries.
    let closed = 0;
    for (;;) {
      const pass = await this.store.exclusive(() => this.sweepLocked());
      closed += pass.closed;
      if (pass.scanned < this.config.max_windows_per_sweep) return closed;
    }
  }

  private async sweepLocked(): Promise<{ closed: number; scanned: number }> {
    const now = this.ctx.clock.now();
    const pass = await this.closer.pass(now, this.watermarkMs);
    if (pass.closed) {
      this.openWindows -= pass.closed;
      pass.batch.push({ type: 'put', key: OPEN_KEY, value: encode(this.openWindows) });
    }
    await this.store.write(pass.batch);
    if (pass.closed) {
      this.m.open.set(this.openWindows);
      this.outbox.notify();
    }
    return { closed: pass.closed, scanned: pass.scanned };
  }

  /** Label, sample and route; a record that cannot be encoded is dead-lettered, not lost in a crash loop. */
  private safeDecide(record: LabeledRecord): OutboxDraft[] {
    try {
      return this.decide(record);
    } catch (err) {
      this.counters.error('decide_failed');
      this.ctx.logger.error({ requestId: record.requestId, err: errorMessage(err) }, 'could not label/encode a record; dead-lettered');
      return [
        deadLetterDraft({
          reason: 'decide_failed',
          detail: `request ${record.requestId} version ${record.version}: ${errorMessage(err).slice(0, 300)}`,
          component: 'join',
          receivedMs: record.emittedMs,
        }),
      ];
    }
  }
}
