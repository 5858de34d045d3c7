// The stateful half of scale-out: a consumer group on the repartition topic.
// Kafka's group coordinator decides which instance owns which partition; for
// each partition this instance gets, a PartitionTask is prepared (previous
// owner fenced, store opened or wiped), restored from the changelog, and only
// then fed — the partition stays paused until its store is complete. A
// partition that leaves is committed, checkpointed and closed.
//
// kafkajs (2.2.4) rebalances eagerly and tells us only the new assignment
// (GROUP_JOIN, emitted synchronously before fetching resumes), so the diff
// against what we own is ours to compute. After every rebalance kafkajs would
// restart a kept partition from its committed offset; the task knows how far
// it got, so it is sought there and anything older is skipped.

import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Lifecycle } from '../pipeline/contracts';
import { errorMessage } from '../pipeline/errors';
import type { ComponentContext } from '../telemetry/metrics';
import type { ScaleOutConfig } from './config';
import type { ScaleOutMetrics } from './metrics';
import { PartitionTask, type TaskDeps } from './partition-task';
import { restorePartitions, type RestoreRequest, type RestoreResult } from './restore';

/** Pause before retrying a partition whose preparation or restore failed. */
const RETRY_MS = 2000;

export class PartitionedJoin implements Lifecycle {
  private consumer: Consumer | undefined;
  /** Restored and fed, by partition. */
  private readonly active = new Map<number, PartitionTask>();
  /** Next repartition offset each active task expects (everything before it was handed to the task). */
  private readonly next = new Map<number, bigint>();
  /** Per partition: the open/close in progress, so two never overlap on one store. */
  private readonly lifecycle = new Map<number, Promise<void>>();
  private assigned = new Set<number>();
  private stopping = false;
  private startOnce: Promise<void> | undefined;
  private stopOnce: Promise<void> | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly kafka: Kafka,
    private readonly config: ScaleOutConfig,
    private readonly deps: Omit<TaskDeps, 'onBroken'>,
    private readonly ctx: ComponentContext,
    private readonly metrics: ScaleOutMetrics,
  ) {}

  start(): Promise<void> {
    this.startOnce ??= this.run();
    return this.startOnce;
  }

  shutdown(): Promise<void> {
    this.stopOnce ??= this.stop();
    return this.stopOnce;
  }

  /** Partitions this instance owns and has restored. */
  owned(): number[] {
    return [...this.active.keys()].sort((a, b) => a - b);
  }

  /** Open windows over the partitions owned. */
  openWindows(): number {
    let n = 0;
    for (const t of this.active.values()) n += t.openWindows();
    return n;
  }

  private async run(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.config.group_id,
      sessionTimeout: this.config.session_timeout,
      heartbeatInterval: Math.min(3000, Math.floor(this.config.session_timeout / 3)),
      // Restores can take long; a member must not be dropped while it holds up a rebalance.
      rebalanceTimeout: Math.max(60_000, this.config.session_timeout * 2),
      readUncommitted: false,
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxWaitTimeInMs: 100,
      retry: { retries: 8, initialRetryTime: 250, maxRetryTime: 5000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.onAssignment(new Set(payload.memberAssignment[this.config.repartition_topic] ?? []));
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopping) return; // kafkajs rejoins by itself
      this.ctx.logger.error({ component: 'scaleout', err: errorMessage(payload.error) }, 'scale-out: join consumer crashed; restarting');
      this.later(() => {
        void consumer.disconnect().catch(() => undefined);
        this.run().catch((err: unknown) => this.ctx.logger.error({ component: 'scaleout', err: errorMessage(err) }, 'scale-out: restart failed'));
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.config.repartition_topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.partitions,
      eachBatch: (p) => this.onBatch(p),
    });
    this.ctx.logger.info(
      { component: 'scaleout', groupId: this.config.group_id, topic: this.config.repartition_topic, instance: this.deps.instanceId },
      'scale-out: partitioned join consuming',
    );
  }

  /** Synchronous: called by kafkajs before it fetches for the new generation. */
  private onAssignment(now: Set<number>): void {
    const consumer = this.consumer!;
    const topic = this.config.repartition_topic;
    const added = [...now].filter((n) => !this.assigned.has(n));
    const revoked = [...this.assigned].filter((n) => !now.has(n));
    this.assigned = now;
    // Nothing is fed to a partition before its store is restored.
    const notActive = [...now].filter((n) => !this.active.has(n));
    if (notActive.length > 0) consumer.pause([{ topic, partitions: notActive }]);
    for (const n of now) {
      const next = this.next.get(n);
      if (this.active.has(n) && next !== undefined) consumer.seek({ topic, partition: n, offset: next.toString() });
    }
    this.ctx.logger.info({ component: 'scaleout', instance: this.deps.instanceId, assigned: [...now].sort((a, b) => a - b), added, revoked }, 'scale-out: partitions assigned');
    for (const n of revoked) this.closePartition(n, 'revoked');
    if (added.length > 0) this.openPartitions(added);
  }

  private async onBatch(p: EachBatchPayload): Promise<void> {
    const n = p.batch.partition;
    const task = this.active.get(n);
    if (!task || task.isBroken() || this.stopping || p.isStale()) return; // not resolved: fetched again once sought and resumed
    const from = this.next.get(n) ?? 0n;
    const messages = p.batch.messages.filter((m) => BigInt(m.offset) >= from);
    if (messages.length > 0) {
      this.next.set(n, BigInt(messages[messages.length - 1]!.offset) + 1n);
      try {
        await task.process(messages);
      } catch {
        return; // the task reset itself (onBroken); its partition is paused until restored
      }
      this.metrics.consumed.inc(messages.length);
    }
    p.resolveOffset(p.batch.lastOffset());
    await p.heartbeat();
  }

  private openPartitions(partitions: number[]): void {
    const previous = Promise.all(partitions.map((n) => this.lifecycle.get(n) ?? Promise.resolve()));
    const opening = previous.then(() => this.open(partitions));
    for (const n of partitions) this.lifecycle.set(n, opening.catch(() => undefined));
  }

  private async open(requested: number[]): Promise<void> {
    const partitions = requested.filter((n) => this.assigned.has(n) && !this.active.has(n) && !this.stopping);
    if (partitions.length === 0) return;
    const started = Date.now();
    const tasks = partitions.map((n) => new PartitionTask(n, { ...this.deps, onBroken: (p, reason) => this.onBroken(p, task(p), reason) }));
    const task = (p: number) => tasks.find((t) => t.partition === p)!;
    const prepared = await Promise.allSettled(tasks.map((t) => t.prepare()));
    const ok: PartitionTask[] = [];
    const requests: RestoreRequest[] = [];
    for (let i = 0; i < tasks.length; i++) {
      const r = prepared[i]!;
      if (r.status === 'fulfilled') {
        ok.push(tasks[i]!);
        requests.push(r.value);
      } else {
        this.ctx.logger.warn({ component: 'scaleout', partition: tasks[i]!.partition, err: errorMessage(r.reason) }, 'scale-out: could not take the partition; retrying');
        await tasks[i]!.close();
        this.retry(tasks[i]!.partition);
      }
    }
    let results: RestoreResult[];
    let committed: Map<number, { offset: bigint; high: bigint }>;
    try {
      results = await restorePartitions(
        this.kafka,
        { topic: this.config.changelog_topic, groupPrefix: `${this.config.group_id}.${this.deps.instanceId}`, timeoutMs: this.config.restore_timeout, logger: this.ctx.logger },
        requests,
      );
      committed = await this.committedOffsets();
    } catch (err) {
      this.ctx.logger.warn({ component: 'scaleout', partitions: ok.map((t) => t.partition), err: errorMessage(err) }, 'scale-out: restore failed; retrying');
      for (const t of ok) {
        await t.close();
        this.retry(t.partition);
      }
      return;
    }
    for (const t of ok) {
      try {
        const r = results.find((x) => x.partition === t.partition);
        const from = requests.find((q) => q.partition === t.partition)?.from === undefined ? 'beginning' : 'checkpoint';
        const seconds = (Date.now() - started) / 1000;
        if (!this.assigned.has(t.partition) || this.stopping) {
          await t.activate().then(() => t.close()); // consistent with the changelog: closes clean, keeps a checkpoint
          continue;
        }
        await t.activate();
        const { offset, high } = committed.get(t.partition) ?? { offset: 0n, high: 0n };
        this.next.set(t.partition, offset);
        t.holdSweepsUntil(high);
        this.active.set(t.partition, t);
        this.consumer?.seek({ topic: this.config.repartition_topic, partition: t.partition, offset: offset.toString() });
        this.consumer?.resume([{ topic: this.config.repartition_topic, partitions: [t.partition] }]);
        this.metrics.restoreSeconds.labels(from).observe(seconds);
        this.metrics.restoredRecords.inc(r?.records ?? 0);
        this.metrics.owned.set(this.active.size);
        this.ctx.logger.info(
          { component: 'scaleout', instance: this.deps.instanceId, partition: t.partition, from, records: r?.records ?? 0, restoreSeconds: seconds, openWindows: t.openWindows(), offset: offset.toString() },
          'scale-out: partition restored',
        );
      } catch (err) {
        this.ctx.logger.warn({ component: 'scaleout', partition: t.partition, err: errorMessage(err) }, 'scale-out: could not activate the partition; retrying');
        this.active.delete(t.partition);
        await t.close();
        this.retry(t.partition);
      }
    }
  }

  /**
   * Where each partition resumes — the group's committed offset (stable: the
   * previous owner is fenced), else the log start — and where its backlog ends.
   */
  private async committedOffsets(): Promise<Map<number, { offset: bigint; high: bigint }>> {
    const topic = this.config.repartition_topic;
    const admin = this.kafka.admin();
    await admin.connect();
    let offsets: Awaited<ReturnType<typeof admin.fetchOffsets>>;
    let bounds: Awaited<ReturnType<typeof admin.fetchTopicOffsets>>;
    try {
      [offsets, bounds] = await Promise.all([admin.fetchOffsets({ groupId: this.config.group_id, topics: [topic] }), admin.fetchTopicOffsets(topic)]);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const out = new Map<number, { offset: bigint; high: bigint }>();
    for (const b of bounds) out.set(b.partition, { offset: BigInt(b.low), high: BigInt(b.high) });
    for (const p of offsets.find((o) => o.topic === topic)?.partitions ?? []) {
      const o = out.get(p.partition);
      if (o && p.offset !== '-1' && /^\d+$/.test(p.offset) && BigInt(p.offset) > o.offset) o.offset = BigInt(p.offset);
    }
    return out;
  }

  private closePartition(n: number, why: string): void {
    const t = this.active.get(n);
    if (!t) return; // still restoring: open() sees it is no longer assigned and closes it
    this.active.delete(n);
    this.next.delete(n);
    this.metrics.owned.set(this.active.size);
    const closing = (this.lifecycle.get(n) ?? Promise.resolve()).then(() => t.close());
    this.lifecycle.set(n, closing.catch(() => undefined));
    this.ctx.logger.info({ component: 'scaleout', partition: n, why }, 'scale-out: closing partition');
  }

  private onBroken(n: number, t: PartitionTask, reason: string): void {
    if (this.active.get(n) !== t) return; // closing anyway
    this.metrics.resets.labels(/fenc|epoch/i.test(reason) ? 'fenced' : 'failed').inc();
    this.consumer?.pause([{ topic: this.config.repartition_topic, partitions: [n] }]);
    this.closePartition(n, 'reset');
    // Not at once: a fenced instance has usually lost the partition and is about
    // to hear so from the group; taking it back now would fence the new owner.
    this.retry(n);
  }

  private retry(n: number): void {
    this.later(() => {
      if (this.assigned.has(n) && !this.active.has(n) && !this.stopping) this.openPartitions([n]);
    });
  }

  private later(fn: () => void): void {
    const t = setTimeout(() => {
      this.retryTimers.delete(t);
      fn();
    }, RETRY_MS);
    t.unref();
    this.retryTimers.add(t);
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.retryTimers) clearTimeout(t);
    await this.startOnce?.catch(() => undefined);
    const consumer = this.consumer;
    // Stop feeding, let what is in flight finish, commit and checkpoint every
    // partition while still a member (so no one fences us mid-commit), then leave.
    if (consumer && this.assigned.size > 0) consumer.pause([{ topic: this.config.repartition_topic, partitions: [...this.assigned] }]);
    for (const n of [...this.active.keys()]) this.closePartition(n, 'shutdown');
    await Promise.all([...this.lifecycle.values()]);
    await consumer?.disconnect().catch((err: unknown) => this.ctx.logger.warn({ component: 'scaleout', err: errorMessage(err) }, 'scale-out: disconnect failed'));
  }
}
