// One partition of the join, owned by this instance: its own state store,
// join stage (unchanged) and outbox, its own transactional producer, and a
// queue that runs its work — batches, sweeps, commits, close — one at a time.
//
// Exactly-once, per partition (the Kafka Streams model, "EOS alpha"):
//   consume a batch → apply it to the local store (every change recorded) →
//   in ONE transaction: the changelog records of those changes, the records
//   the join emitted (output topics), the messages forwarded to other
//   partitions (repartition topic), and the consumed offsets → commit.
// The transactional id is per partition (<group_id>.p<n>), not per instance:
// whoever takes the partition next initializes the same id, which fences the
// previous owner (its commits fail from then on) and makes the broker abort
// its open transaction. kafkajs sends offsets without the group generation,
// so per-instance ids (EOS v2) could not fence a zombie.
//
// A failed transaction leaves the local store ahead of the changelog: the task
// is then broken, its store is thrown away and restored (see restore.ts).

import { join as pathJoin } from 'node:path';
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer, type Transaction } from 'kafkajs';
import type { ComponentContext } from '../telemetry/metrics';
import type { JoinConfig } from '../stages/join/config';
import type { StoreOptions } from '../stages/join/store';
import { KEY, encode } from '../stages/join/store';
import { JoinStage, type Decide } from '../stages/join/join';
import { Outbox } from '../pipeline/outbox';
import { errorMessage } from '../pipeline/errors';
import type { ScaleOutConfig } from './config';
import type { KeyPartitioner } from './codec';
import type { ScaleOutMetrics } from './metrics';
import { ChangeLoggingStore } from './changelog-store';
import { OutputEncoder, TransactionSink } from './outputs';
import { MARKER_KEY, readCheckpoint, removeCheckpoint, writeCheckpoint, type RestoreRequest } from './restore';
import { Router } from './router';

/** The sink's delivered position, persisted with every transaction that delivered something. */
const DELIVERED_KEY = KEY.meta('delivered_seq');
/** Bytes of messages per produce request inside a transaction: stays under the brokers' default 1 MiB batch limit. */
const CHUNK_BYTES = 512 * 1024;
/** A restored partition that received nothing for this long has no backlog left. */
const CATCH_UP_IDLE_MS = 1000;

export interface TaskDeps {
  kafka: Kafka;
  join: JoinConfig;
  scaleOut: ScaleOutConfig;
  instanceId: string;
  policyVersion: string;
  storeOptions: StoreOptions;
  outputTopicsCompression: CompressionTypes;
  stateDir: string;
  ctx: ComponentContext;
  metrics: ScaleOutMetrics;
  partitioner: KeyPartitioner;
  encoder: OutputEncoder;
  /** Calls the current label/sample/route step (reloadable). */
  decide: Decide;
  /** Called once when the task cannot go on (failed or fenced transaction): the owner resets it. */
  onBroken(partition: number, reason: string): void;
}

export function transactionalId(groupId: string, partition: number): string {
  return `${groupId}.p${partition}`;
}

export class PartitionTask {
  private store!: ChangeLoggingStore;
  private outbox!: Outbox;
  private sink!: TransactionSink;
  private joinStage!: JoinStage;
  private router!: Router;
  private producer: Producer | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private forwards: Message[] = [];
  /** Next offset of the repartition partition to commit, and what was committed. */
  private consumedNext: bigint | undefined;
  private committedNext: bigint | undefined;
  /** One past this owner's last committed changelog record: the checkpoint on a clean close. */
  private changelogEnd = 0n;
  private lastCommitMs = 0;
  private lastSweepMs = 0;
  private broken = false;
  private closed = false;
  private sweeping = false;
  /**
   * Windows close on processing time, and while a partition had no owner its
   * clock ran on: a restored partition does not sweep until it has read the
   * backlog that piled up meanwhile, or the feedback in that backlog would
   * find its window already closed.
   */
  private catchUpTo: bigint | undefined;
  private lastBatchMs = 0;

  constructor(
    readonly partition: number,
    private readonly d: TaskDeps,
  ) {}

  get storePath(): string {
    return pathJoin(this.d.stateDir, `p-${this.partition}`);
  }

  isBroken(): boolean {
    return this.broken;
  }

  /**
   * Fences the previous owner, opens the store (kept if a clean checkpoint
   * says it is exact, else wiped) and writes this owner's marker. Returns what
   * the restore has to read.
   */
  async prepare(): Promise<RestoreRequest> {
    const { scaleOut } = this.d;
    this.producer = this.d.kafka.producer({
      transactionalId: transactionalId(scaleOut.group_id, this.partition),
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      transactionTimeout: 60_000,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
    const checkpoint = readCheckpoint(this.d.stateDir, this.partition, scaleOut.changelog_topic, scaleOut.partitions);
    // From here on the store may move ahead of the changelog: only a clean close writes a checkpoint again.
    removeCheckpoint(this.d.stateDir, this.partition);
    if (checkpoint === undefined) ChangeLoggingStore.wipe(this.storePath);
    this.store = new ChangeLoggingStore(this.storePath, this.d.storeOptions);
    await this.store.open();
    // The first transaction initializes the producer id: the previous owner is fenced from here on.
    const txn = await this.producer.transaction();
    let until: bigint;
    try {
      const meta = await txn.send({
        topic: scaleOut.changelog_topic,
        messages: [{ key: MARKER_KEY, partition: this.partition, value: JSON.stringify({ instance: this.d.instanceId, at: this.d.ctx.clock.now() }) }],
      });
      await txn.commit();
      const base = meta.find((m) => m.partition === this.partition)?.baseOffset;
      if (base === undefined) throw new Error('the broker did not return the marker offset');
      until = BigInt(base);
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
    this.changelogEnd = until + 1n;
    return {
      partition: this.partition,
      from: checkpoint,
      until,
      apply: (batch) => this.store.applyRestored(batch),
    };
  }

  /** After the restore: the join, the outbox and the timers. */
  async activate(): Promise<void> {
    this.sink = new TransactionSink((await this.store.get<number>(DELIVERED_KEY)) ?? 0);
    this.outbox = new Outbox(this.store, this.sink, this.d.ctx, { chunk: 1000, maxBacklog: Number.MAX_SAFE_INTEGER });
    await this.outbox.init();
    this.joinStage = new JoinStage(this.d.join, this.store, this.outbox, this.d.decide, this.d.ctx, this.d.policyVersion);
    await this.joinStage.init();
    this.router = new Router({
      partition: this.partition,
      store: this.store,
      join: this.joinStage,
      outbox: this.outbox,
      partitioner: this.d.partitioner,
      config: this.d.join,
      policyVersion: this.d.policyVersion,
      ctx: this.d.ctx,
      metrics: this.d.metrics,
      produce: (m) => this.forwards.push(m),
    });
    this.lastCommitMs = this.lastSweepMs = this.d.ctx.clock.now();
    this.d.metrics.openWindows.labels(String(this.partition)).set(this.joinStage.open());
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.min(this.d.scaleOut.commit_interval, this.d.join.sweep_interval)));
    this.timer.unref();
  }

  /** Sweeps wait until the partition has read up to `highWatermark` (the end of the backlog at activation). */
  holdSweepsUntil(highWatermark: bigint): void {
    this.catchUpTo = highWatermark;
    this.lastBatchMs = this.d.ctx.clock.now();
  }

  openWindows(): number {
    return this.joinStage?.open() ?? 0;
  }

  /** Processes a batch of the repartition partition; resolves once it is applied locally (committed within commit_interval). */
  process(messages: ReadonlyArray<{ offset: string; value: Buffer | null }>): Promise<void> {
    return this.enqueue(async () => {
      if (messages.length === 0) return;
      this.lastBatchMs = this.d.ctx.clock.now();
      await this.router.route(messages);
      this.consumedNext = BigInt(messages[messages.length - 1]!.offset) + 1n;
      this.d.metrics.openWindows.labels(String(this.partition)).set(this.joinStage.open());
      if (this.d.ctx.clock.now() - this.lastCommitMs >= this.d.scaleOut.commit_interval) await this.commit();
    });
  }

  /** Commits what is pending, writes the checkpoint if that worked, closes. Runs once. */
  close(): Promise<void> {
    if (this.closed) return this.queue.then(() => undefined);
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.d.metrics.openWindows.remove(String(this.partition));
    return this.enqueue(async () => {
      let clean = false;
      if (!this.broken && this.joinStage) {
        try {
          await this.commit();
          clean = true;
        } catch {
          // broken: no checkpoint, the next owner (maybe this one) restores from the beginning
        }
      }
      try {
        if (this.outbox) await this.outbox.flush().catch(() => undefined);
        if (this.store?.isOpen()) await this.store.close();
        if (clean) writeCheckpoint(this.d.stateDir, this.partition, this.d.scaleOut.changelog_topic, this.d.scaleOut.partitions, this.changelogEnd);
      } finally {
        await this.producer?.disconnect().catch(() => undefined);
        this.producer = undefined;
      }
      this.d.ctx.logger.info({ component: 'scaleout', partition: this.partition, clean, instance: this.d.instanceId }, 'scale-out: partition closed');
    }, true);
  }

  // ── inside the queue ──────────────────────────────────────────────────────

  private tick(): void {
    if (this.sweeping || this.closed || this.broken) return;
    this.sweeping = true;
    void this.enqueue(async () => {
      const now = this.d.ctx.clock.now();
      if (this.catchUpTo !== undefined) {
        // Caught up: read to the end (the last record may be a transaction marker, never delivered), or idle.
        const read = this.consumedNext ?? 0n;
        if (read + 1n >= this.catchUpTo || now - this.lastBatchMs >= CATCH_UP_IDLE_MS) this.catchUpTo = undefined;
      }
      if (this.catchUpTo === undefined && now - this.lastSweepMs >= this.d.join.sweep_interval) {
        this.lastSweepMs = now;
        while ((await this.joinStage.sweep()) >= this.d.join.max_windows_per_sweep) {
          // more due than one batch holds
        }
        await this.router.expire(now, this.d.join.max_windows_per_sweep);
        this.d.metrics.openWindows.labels(String(this.partition)).set(this.joinStage.open());
      }
      if (now - this.lastCommitMs >= this.d.scaleOut.commit_interval) await this.commit();
    })
      .catch(() => undefined)
      .finally(() => {
        this.sweeping = false;
      });
  }

  private async commit(): Promise<void> {
    this.lastCommitMs = this.d.ctx.clock.now();
    // Everything the join staged is handed to the TransactionSink (and deleted from the store) first.
    await this.outbox.flush();
    const entries = this.sink.takePending();
    if (entries.length > 0) await this.store.write([{ type: 'put', key: DELIVERED_KEY, value: encode(this.sink.durableSeq()) }]);
    const changes = this.store.take();
    const forwards = this.forwards;
    this.forwards = [];
    const offsets = this.consumedNext !== undefined && this.consumedNext !== this.committedNext ? this.consumedNext : undefined;
    if (changes.size === 0 && entries.length === 0 && forwards.length === 0 && offsets === undefined) return;

    const { scaleOut } = this.d;
    const messages: Array<{ topic: string; message: Message }> = [];
    for (const [key, value] of changes) messages.push({ topic: scaleOut.changelog_topic, message: { key, value, partition: this.partition } });
    let outputs = 0;
    for (const e of entries) {
      const m = this.d.encoder.encode(e);
      if (m) {
        messages.push(m);
        outputs++;
      }
    }
    for (const f of forwards) messages.push({ topic: scaleOut.repartition_topic, message: f });

    let txn: Transaction | undefined;
    try {
      if (!this.producer) throw new Error('producer closed');
      txn = await this.producer.transaction();
      const end = await this.sendChunked(txn, messages);
      if (offsets !== undefined) {
        await txn.sendOffsets({
          consumerGroupId: scaleOut.group_id,
          topics: [{ topic: scaleOut.repartition_topic, partitions: [{ partition: this.partition, offset: offsets.toString() }] }],
        });
      }
      await txn.commit();
      if (end !== undefined) this.changelogEnd = end;
      if (offsets !== undefined) this.committedNext = offsets;
      this.d.metrics.transactions.labels('committed').inc();
      this.d.metrics.changelogRecords.inc(changes.size);
      this.d.metrics.outputRecords.inc(outputs);
    } catch (err) {
      this.d.metrics.transactions.labels('failed').inc();
      if (txn?.isActive()) await txn.abort().catch(() => undefined);
      this.markBroken(`transaction failed: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** Sends in chunks; returns one past the last changelog offset written, if any. */
  private async sendChunked(txn: Transaction, messages: Array<{ topic: string; message: Message }>): Promise<bigint | undefined> {
    const changelog = this.d.scaleOut.changelog_topic;
    let end: bigint | undefined;
    let chunk = new Map<string, Message[]>();
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (chunk.size === 0) return;
      const topicMessages = [...chunk].map(([topic, msgs]) => ({ topic, messages: msgs }));
      const changelogCount = chunk.get(changelog)?.length ?? 0;
      chunk = new Map();
      bytes = 0;
      const meta = await txn.sendBatch({ topicMessages, compression: this.d.outputTopicsCompression });
      if (changelogCount > 0) {
        const base = meta.find((m) => m.topicName === changelog && m.partition === this.partition)?.baseOffset;
        if (base !== undefined) end = BigInt(base) + BigInt(changelogCount);
      }
    };
    for (const { topic, message } of messages) {
      const list = chunk.get(topic);
      if (list) list.push(message);
      else chunk.set(topic, [message]);
      bytes += (message.value?.length ?? 0) + (typeof message.key === 'string' ? message.key.length : 0) + 64;
      if (bytes >= CHUNK_BYTES) await flush();
    }
    await flush();
    return end;
  }

  private markBroken(reason: string): void {
    if (this.broken) return;
    this.broken = true;
    if (this.timer) clearInterval(this.timer);
    this.d.ctx.logger.warn({ component: 'scaleout', partition: this.partition, reason }, 'scale-out: partition store will be reset from the changelog');
    this.d.onBroken(this.partition, reason);
  }

  private enqueue<T>(fn: () => Promise<T>, evenIfBroken = false): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.broken && !evenIfBroken) throw new Error(`partition ${this.partition} is being reset`);
      try {
        return await fn();
      } catch (err) {
        // Anything that fails mid-way may have left the store ahead of the changelog.
        if (!evenIfBroken) this.markBroken(errorMessage(err));
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
