// What one partition does with the messages of its repartition partition
// before (and beside) the unchanged join stage.
//
// Foreign-key join by span context. An event that can only name a span
// ("trace:span": content logs, evaluations parented to the span) is
// partitioned by span key, while its interaction is partitioned by request
// id — usually another partition. The ingest sends an `alias` message
// (span key → request id) to the span key's partition beside every such
// interaction. There:
//   - before the alias: the join keeps span-keyed events in a provisional
//     window, as it does on one instance; if no alias ever comes, that window
//     closes as it does today (orphaned feedback, content dropped);
//   - when the alias arrives: the provisional window is taken out of the
//     store and its events are forwarded (re-produced, keyed by request id,
//     in this partition's transaction); the alias is remembered;
//   - after: span-keyed events are forwarded as they arrive.
// On the request id's partition a forwarded event meets the join's own alias
// index (written with the interaction), or waits in a provisional window that
// the interaction absorbs when it arrives — the join's single-instance logic.
// When both keys land on the same partition nothing is forwarded at all.
//
// Sessions (implicit retry / moved-on / abandonment). A session's interactions
// are on many partitions, so the session's partition (keyed by session id)
// orders them and sends a `session_notice` to the previous interaction's
// partition: the signal, if the two were close in time, and "the session moved
// on" so that its close does not count as abandonment. The join's own session
// tracking is neutralized by recording each interaction as its session's
// latest before the join sees it (unless a later one is already known): the
// join then never pairs two interactions itself. Signal ids are the join's
// (implicitSignal), so a redelivered notice is deduplicated.

import type { Message } from 'kafkajs';
import type { ComponentContext } from '../telemetry/metrics';
import type { FeedbackSignal, Interaction, RedactionSummary } from '../model';
import type { Outbox } from '../pipeline/outbox';
import type { JoinConfig } from '../stages/join/config';
import type { JoinStage, RedactedEvent } from '../stages/join/join';
import { contentRefs, upgradeWindow, type WindowState } from '../stages/join/window';
import { loadContents } from '../stages/join/close';
import { KEY, encode, type Batch, type StateStore } from '../stages/join/store';
import { implicitSignal, sessionEntry, similarity, type SessionEntry } from '../stages/join/implicit';
import { deadLetterDraft } from '../pipeline/decide';
import { errorMessage } from '../pipeline/errors';
import { decodeMessage, encodeMessage, spanKeyOf, type KeyPartitioner, type RepartitionMessage } from './codec';
import type { ScaleOutMetrics } from './metrics';

/** The join stage's open-window counter (private to join.ts; kept in step when a provisional window is taken out). */
const OPEN_KEY = KEY.meta('open_windows');

/** Key spaces of the router, beside the join's (see store.ts): */
const RKEY = {
  /** span key → remote request id, while forwarding */
  remoteAlias: (spanKey: string) => `r!${spanKey}`,
  remoteAliasExpiry: (ms: number, spanKey: string) => `z!${pad(ms)}!${spanKey}`,
  /** session id → its latest interaction, on the session's partition */
  session: (id: string) => `u!${id}`,
  sessionExpiry: (ms: number, id: string) => `v!${pad(ms)}!${id}`,
} as const;

function pad(n: number): string {
  return Math.max(0, Math.floor(n)).toString().padStart(16, '0');
}

interface RemoteAlias {
  requestId: string;
  expiresMs: number;
}
interface SessionRecord {
  entry: SessionEntry;
  expiresMs: number;
}

const NO_REDACTION = (policyVersion: string): RedactionSummary => ({ policyVersion, entities: {}, keysRedacted: 0 });
const isOpenWindow = (v: unknown): v is WindowState => Boolean(v) && (v as { closed?: unknown }).closed !== true;

export interface RouterDeps {
  partition: number;
  store: StateStore;
  join: JoinStage;
  outbox: Outbox;
  partitioner: KeyPartitioner;
  config: JoinConfig;
  policyVersion: string;
  ctx: ComponentContext;
  metrics: ScaleOutMetrics;
  /** Adds a message for the repartition topic to the partition's current transaction. */
  produce(message: Message): void;
}

export class Router {
  constructor(private readonly d: RouterDeps) {}

  async route(messages: ReadonlyArray<{ offset: string; value: Buffer | null }>): Promise<void> {
    const decoded: RepartitionMessage[] = [];
    for (const m of messages) {
      try {
        decoded.push(decodeMessage(m.value));
      } catch (err) {
        await this.deadLetter(`repartition partition ${this.d.partition} offset ${m.offset}: ${errorMessage(err)}`);
      }
    }
    const aliases = await this.remoteAliases(decoded);
    let segment: RedactedEvent[] = [];
    const flush = async (): Promise<void> => {
      if (segment.length === 0) return;
      const items = segment;
      segment = [];
      await this.markLatestInSession(items);
      await this.d.join.accept(items);
    };
    for (const m of decoded) {
      if (m.t === 'event') {
        const sk = spanKeyOf(m.event);
        const target = sk === undefined ? undefined : aliases.get(sk);
        if (target !== undefined) this.forward(target, m.event, m.redaction);
        else segment.push({ event: m.event, redaction: m.redaction });
      } else if (m.t === 'forwarded') {
        segment.push({ event: m.event, redaction: m.redaction });
      } else if (m.t === 'alias') {
        if (this.mine(m.requestId)) continue; // the interaction is here too: the join resolves it itself
        await flush();
        await this.onAlias(m.spanKey, m.requestId);
        aliases.set(m.spanKey, m.requestId);
      } else if (m.t === 'session') {
        await this.onSession(m.sessionId, m.entry);
      } else {
        await flush();
        const signal = await this.onNotice(m.sessionId, m.latest, m.signal);
        if (signal) segment.push({ event: signal, redaction: NO_REDACTION(this.d.policyVersion) });
      }
    }
    await flush();
  }

  /** Drops remote aliases and session entries whose time is up. */
  async expire(now: number, limit: number): Promise<void> {
    await this.d.store.exclusive(async () => {
      const batch: Batch = [];
      const aliasIdx = await this.d.store.keys('z!', RKEY.remoteAliasExpiry(now + 1, ''), limit);
      const sessionIdx = await this.d.store.keys('v!', RKEY.sessionExpiry(now + 1, ''), limit);
      const aliasKeys = aliasIdx.map((k) => k.slice(19));
      const sessionKeys = sessionIdx.map((k) => k.slice(19));
      const aliasVals = await this.d.store.getMany<RemoteAlias>(aliasKeys.map(RKEY.remoteAlias));
      const sessionVals = await this.d.store.getMany<SessionRecord>(sessionKeys.map(RKEY.session));
      aliasIdx.forEach((k, i) => {
        batch.push({ type: 'del', key: k });
        if ((aliasVals[i]?.expiresMs ?? 0) <= now) batch.push({ type: 'del', key: RKEY.remoteAlias(aliasKeys[i]!) });
      });
      sessionIdx.forEach((k, i) => {
        batch.push({ type: 'del', key: k });
        if ((sessionVals[i]?.expiresMs ?? 0) <= now) batch.push({ type: 'del', key: RKEY.session(sessionKeys[i]!) });
      });
      await this.d.store.write(batch);
    });
  }

  private mine(key: string): boolean {
    return this.d.partitioner.partitionOf(key) === this.d.partition;
  }

  private forward(requestId: string, event: RedactedEvent['event'], redaction: RedactionSummary): void {
    this.d.produce({
      key: requestId,
      partition: this.d.partitioner.partitionOf(requestId),
      value: encodeMessage({ t: 'forwarded', event, redaction }),
    });
    this.d.metrics.forwarded.labels(event.kind).inc();
  }

  /** Remote aliases known for the span keys in these messages. */
  private async remoteAliases(ms: RepartitionMessage[]): Promise<Map<string, string>> {
    const keys = new Set<string>();
    for (const m of ms) {
      if (m.t !== 'event') continue;
      const sk = spanKeyOf(m.event);
      if (sk !== undefined) keys.add(sk);
    }
    const out = new Map<string, string>();
    if (keys.size === 0) return out;
    const list = [...keys];
    const vals = await this.d.store.getMany<RemoteAlias>(list.map(RKEY.remoteAlias));
    vals.forEach((v, i) => v && out.set(list[i]!, v.requestId));
    return out;
  }

  private async onAlias(sk: string, requestId: string): Promise<void> {
    await this.d.store.exclusive(async () => {
      const now = this.d.ctx.clock.now();
      const batch: Batch = [];
      const stored = await this.d.store.get<unknown>(KEY.window(sk));
      if (isOpenWindow(stored) && !stored.interaction) {
        // Take the provisional window out; its stale index entries would be dropped by the sweep anyway.
        const w = upgradeWindow(stored);
        const [{ fragments }] = await loadContents(this.d.store, [w]);
        fragments.forEach((f, i) => this.forward(requestId, f, i === 0 ? w.redaction : NO_REDACTION(w.redaction.policyVersion)));
        w.feedback.forEach((f, i) => this.forward(requestId, f, i === 0 && fragments.length === 0 ? w.redaction : NO_REDACTION(w.redaction.policyVersion)));
        const open = (await this.d.store.get<number>(OPEN_KEY)) ?? 0;
        for (const ref of contentRefs(w)) batch.push({ type: 'del', key: ref });
        batch.push(
          { type: 'del', key: KEY.window(sk) },
          { type: 'del', key: KEY.expiry(w.deadlineMs, sk) },
          { type: 'del', key: KEY.eventExpiry(w.eventDeadlineMs, sk) },
          { type: 'put', key: OPEN_KEY, value: encode(Math.max(0, open - 1)) },
        );
      }
      // Kept as long as the join would keep its own alias (window plus late retention).
      const expiresMs = now + this.d.config.window + this.d.config.late_retention;
      batch.push(
        { type: 'put', key: RKEY.remoteAlias(sk), value: encode({ requestId, expiresMs }) },
        { type: 'put', key: RKEY.remoteAliasExpiry(expiresMs, sk), value: Buffer.alloc(0) },
      );
      await this.d.store.write(batch);
      // The join keeps its open-window count in memory: read it back.
      await this.d.join.init();
    });
  }

  /** The session's partition: keeps the latest interaction and tells the previous one's partition. */
  private async onSession(sessionId: string, entry: SessionEntry): Promise<void> {
    await this.d.store.exclusive(async () => {
      const now = this.d.ctx.clock.now();
      const prev = (await this.d.store.get<SessionRecord>(RKEY.session(sessionId)))?.entry;
      let latest = entry;
      if (prev && prev.requestId !== entry.requestId) {
        const gap = entry.timeMs - prev.timeMs;
        if (gap >= 0) {
          let signal: FeedbackSignal | undefined;
          if (gap <= this.d.config.implicit.retry_window) {
            // The join's own rule (join.ts trackSession), with the same signal ids.
            const sim = similarity(prev.prompt, entry.prompt);
            signal =
              sim >= this.d.config.implicit.retry_similarity
                ? implicitSignal(prev.requestId, 'retry', 'reformulation', sim, entry.timeMs, entry.requestId)
                : implicitSignal(prev.requestId, 'accept', 'moved_on', 1 - sim, entry.timeMs, entry.requestId);
          }
          this.notify(prev.requestId, { t: 'session_notice', sessionId, latest: entry, signal });
        } else {
          // An older interaction delivered late: it is not the session's latest.
          latest = prev;
          this.notify(entry.requestId, { t: 'session_notice', sessionId, latest: prev });
        }
      }
      const expiresMs = now + this.d.config.window + this.d.config.implicit.retry_window;
      await this.d.store.write([
        { type: 'put', key: RKEY.session(sessionId), value: encode({ entry: latest, expiresMs }) },
        { type: 'put', key: RKEY.sessionExpiry(expiresMs, sessionId), value: Buffer.alloc(0) },
      ]);
    });
  }

  private notify(requestId: string, m: RepartitionMessage): void {
    this.d.produce({ key: requestId, partition: this.d.partitioner.partitionOf(requestId), value: encodeMessage(m) });
    this.d.metrics.forwarded.labels(m.t).inc();
  }

  /** The interaction's partition: records that the session moved on; returns the signal if its window may take it. */
  private async onNotice(sessionId: string, latest: SessionEntry, signal: FeedbackSignal | undefined): Promise<FeedbackSignal | undefined> {
    return this.d.store.exclusive(async () => {
      const local = await this.d.store.get<SessionEntry>(KEY.session(sessionId));
      if (!local || local.timeMs < latest.timeMs) {
        await this.d.store.write([{ type: 'put', key: KEY.session(sessionId), value: encode(latest) }]);
      }
      if (!signal?.target.requestId) return undefined;
      // As on one instance: a closed window takes no implicit signal. A window
      // not there yet (the interaction is still on its way) will get it.
      const w = await this.d.store.get<unknown>(KEY.window(signal.target.requestId));
      return w && !isOpenWindow(w) ? undefined : signal;
    });
  }

  /**
   * Before the join sees interactions: each becomes its session's latest here
   * unless a later one is known, so the join's own session tracking never
   * pairs two interactions (the session's partition does; see the file comment).
   */
  private async markLatestInSession(items: RedactedEvent[]): Promise<void> {
    if (!this.d.config.implicit.enabled) return;
    const latest = new Map<string, Interaction>();
    for (const { event } of items) {
      if (event.kind !== 'interaction' || !event.sessionId) continue;
      const seen = latest.get(event.sessionId);
      if (!seen || seen.startTimeMs <= event.startTimeMs) latest.set(event.sessionId, event);
    }
    if (latest.size === 0) return;
    await this.d.store.exclusive(async () => {
      const ids = [...latest.keys()];
      const local = await this.d.store.getMany<SessionEntry>(ids.map(KEY.session));
      const batch: Batch = [];
      ids.forEach((id, i) => {
        const i2 = latest.get(id)!;
        const l = local[i];
        if (!l || l.timeMs <= i2.startTimeMs) batch.push({ type: 'put', key: KEY.session(id), value: encode(sessionEntry(i2)) });
      });
      await this.d.store.write(batch);
    });
  }

  private async deadLetter(detail: string): Promise<void> {
    this.d.metrics.undecodable.inc();
    this.d.ctx.logger.warn({ component: 'scaleout', partition: this.d.partition, detail: detail.slice(0, 300) }, 'scale-out: undecodable repartition message dead-lettered');
    await this.d.outbox.append([
      deadLetterDraft({ reason: 'repartition_decode', detail: detail.slice(0, 500), component: 'scaleout', receivedMs: this.d.ctx.clock.now() }),
    ]);
  }
}
