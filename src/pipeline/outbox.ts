import type { ComponentContext } from '../telemetry/metrics';
import type { OutboxEntry, Sink } from './contracts';
import { KEY, decode, encode, parseOutboxKey, type Batch, type StateStore } from '../stages/join/store';
import { errorMessage } from './errors';
import { deadLetterDraft } from './decide';
import { encodeRecord } from '../sinks/avro/schemas';
import { decodeEntry, encodeEntry, isFramedEntry } from './outbox-codec';

// The transactional outbox between the join and the sink. A closing window's
// deletion and the records it emits are written in the same store batch; the
// drainer then hands outbox entries to the sink in sequence order and deletes
// them once the sink reports them durable. After a crash, entries the sink
// already holds are skipped by the sink (Sink.durableSeq + per-file seq
// ranges), so every record lands exactly once.

export type OutboxDraft = Omit<OutboxEntry, 'seq'>;

/** A V8-serialized entry from an older version: with `payload`, or (before encode-once) the record as an object under `value`. */
type StoredEntry = OutboxEntry | (Omit<OutboxEntry, 'payload'> & { value: unknown; payload?: undefined });

/**
 * Entries written by an older version (the record as an object) are encoded
 * when they are drained, so an upgrade with a non-empty outbox loses nothing.
 * One that no longer matches its schema becomes a dead letter of its own kind.
 */
export function upgrade(e: StoredEntry): OutboxEntry {
  if (e.payload !== undefined) return e;
  const { value, ...rest } = e;
  try {
    return { ...rest, payload: encodeRecord(e.topic, value) };
  } catch (err) {
    const dl = deadLetterDraft({
      reason: 'outbox_upgrade_failed',
      detail: `record ${e.recordId} (${e.topic}) written by an older version does not match the current schema: ${errorMessage(err).slice(0, 300)}`,
      component: 'outbox',
      receivedMs: e.timeMs,
    });
    return { ...dl, seq: e.seq };
  }
}

export interface OutboxOptions {
  /** Entries handed to the sink per write. */
  chunk: number;
  /** Backlog (entries not yet taken by the sink) above which intake is refused. */
  maxBacklog: number;
}

const SEQ_KEY = KEY.meta('seq');
const OUTBOX_START = 'o!';
const OUTBOX_END = 'o!\xff';

export class Outbox {
  private nextSeq = 1;
  private handedSeq = 0;
  private draining: Promise<void> | null = null;
  private again = false;
  private lastError: string | undefined;
  private readonly counters;
  /** Every entry with seq ≤ prunedSeq is deleted from the store (0: not known yet). */
  private prunedSeq = 0;

  constructor(
    private readonly store: StateStore,
    private readonly sink: Sink,
    private readonly ctx: ComponentContext,
    private readonly options: OutboxOptions,
  ) {
    this.counters = ctx.metrics.component('outbox');
    ctx.metrics
      .gauge('feedback_loop_outbox_backlog_records', 'Records written by the join and not yet taken by the sink.')
      .set(0);
  }

  /** After the store and the sink have started: resume where the last run stopped. */
  async init(): Promise<void> {
    const persisted = (await this.store.get<number>(SEQ_KEY)) ?? 0;
    const last = await this.store.lastKey(OUTBOX_START, OUTBOX_END);
    const durable = this.sink.durableSeq();
    this.nextSeq = Math.max(persisted, last ? parseOutboxKey(last) : 0, durable) + 1;
    this.handedSeq = durable;
    await this.prune();
    this.notify();
  }

  /** Assigns sequence numbers and adds the puts to `batch`; the caller writes the batch. */
  stage(drafts: OutboxDraft[], batch: Batch): OutboxEntry[] {
    if (drafts.length === 0) return [];
    const entries = drafts.map((d) => ({ ...d, seq: this.nextSeq++ }));
    for (const e of entries) batch.push({ type: 'put', key: KEY.outbox(e.seq), value: encodeEntry(e) });
    batch.push({ type: 'put', key: SEQ_KEY, value: encode(this.nextSeq - 1) });
    return entries;
  }

  /** Writes drafts on their own (dead letters), durably, then wakes the drainer. */
  append(drafts: OutboxDraft[]): Promise<void> {
    if (drafts.length === 0) return Promise.resolve();
    return this.store.exclusive(async () => {
      const batch: Batch = [];
      this.stage(drafts, batch);
      await this.store.write(batch);
      this.notify();
    });
  }

  /** Entries committed to the store but not yet taken by the sink. */
  backlog(): number {
    return this.nextSeq - 1 - this.handedSeq;
  }

  accepting(): boolean {
    return this.backlog() < this.options.maxBacklog && this.sink.ready();
  }

  lastDrainError(): string | undefined {
    return this.lastError;
  }

  /** Start a drain unless one is running; a running one goes round again. */
  notify(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drainLoop().finally(() => {
      this.draining = null;
    });
  }

  private async drainLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.drainOnce();
        this.lastError = undefined;
      } catch (err) {
        // The entries stay in the outbox; the next notify (or the periodic tick) retries.
        this.lastError = errorMessage(err);
        this.counters.error('sink_write');
        this.ctx.logger.warn({ err: this.lastError, sink: this.sink.name }, 'sink write failed; will retry');
        return;
      }
    } while (this.again);
  }

  private async drainOnce(): Promise<void> {
    for (;;) {
      const rows = await this.store.range(KEY.outbox(this.handedSeq + 1), OUTBOX_END, this.options.chunk);
      if (rows.length === 0) break;
      const entries = rows.map(([, v]) => (isFramedEntry(v) ? decodeEntry(v) : upgrade(decode<StoredEntry>(v))));
      this.counters.received(entries.length);
      await this.sink.write(entries);
      this.handedSeq = entries[entries.length - 1]!.seq;
      this.counters.emitted(entries.length);
      if (rows.length < this.options.chunk) break;
    }
    this.updateGauge();
    await this.prune();
  }

  /** Deletes entries the sink holds durably. Idempotent. */
  async prune(): Promise<void> {
    const durable = this.sink.durableSeq();
    if (durable <= this.prunedSeq) return;
    // From the last pruned seq, not from the start of the outbox: deleted
    // entries stay in LevelDB as tombstones until compaction reaches them, and
    // a scan from the start steps over every one (200,000 of them add ~7 ms to
    // each scan; a busy outbox deletes thousands a second).
    const from = this.prunedSeq > 0 ? KEY.outbox(this.prunedSeq + 1) : OUTBOX_START;
    for (;;) {
      const keys = await this.store.keys(from, KEY.outbox(durable + 1), 5000);
      if (keys.length > 0) await this.store.write(keys.map((key) => ({ type: 'del' as const, key })));
      if (keys.length < 5000) break;
    }
    this.prunedSeq = Math.max(this.prunedSeq, durable);
  }

  private updateGauge(): void {
    this.ctx.metrics.gauge('feedback_loop_outbox_backlog_records', '').set(this.backlog());
  }

  /** Everything committed so far handed to the sink, made durable there, and pruned. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
    await this.drainOnce();
    await this.sink.flush();
    await this.prune();
  }
}
