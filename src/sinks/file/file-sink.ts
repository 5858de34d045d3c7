// The embedded default sink: Avro object container files, one open file per
// topic and hour, rolled by size and age. Exactly-once across crashes rests on
// sequence numbers (see Sink in pipeline/contracts.ts):
//
// - an entry counts as durable only once the file holding it is fsync'd and
//   renamed, so durableSeq() is one less than the first seq of the oldest open
//   file (or the last seq taken when none is open);
// - after a crash, start() deletes the .tmp files (their entries are still in
//   the caller's outbox), derives durableSeq from the names left, and skips any
//   re-sent entry whose (partition, seq) lies inside a finished file's range.
//
// A partition's files hold consecutive runs of that partition's entries, so a
// finished file's [first, last] range is exact for its directory — which is why
// the skip index is kept per directory, not per topic.

import { unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Counter } from 'prom-client';
import type { OutboxEntry, Sink, Topic } from '../../pipeline/contracts';
import { ERROR_CODES, RetryableError, errorMessage } from '../../pipeline/errors';
import type { ComponentContext, ComponentCounters } from '../../telemetry/metrics';
import { defaultSchemas, type SchemaSet } from '../avro/schemas';
import type { FileSinkConfig } from './config';
import { ContainerFile } from './container-file';
import {
  fsyncDir,
  makeDirs,
  partitionOf,
  readMarker,
  removeMarker,
  scan,
  writeMarker,
  type RecoveryMarker,
} from './layout';

export class FileSink implements Sink {
  readonly name = 'file';
  private readonly root: string;
  private readonly counters: ComponentCounters;
  private readonly bytesWritten: Counter<string>;
  private readonly filesFinished: Counter<string>;
  private readonly blockSize: number;
  /** Open files by partition key `<topic>/dt=…/hour=…`. */
  private readonly open = new Map<string, ContainerFile>();
  /** Finished files' [first, last] ranges by partition key, for re-sent entries above acceptedSeq. */
  private readonly finishedRanges = new Map<string, [number, number][]>();
  /** Highest seq taken (written, or skipped as already durable or unwritable). */
  private acceptedSeq = 0;
  private marker: RecoveryMarker | undefined;
  private started = false;
  private stopping = false;
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Writes, rolls and flushes run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  private starting: Promise<void> | undefined;
  private shutdownOnce: Promise<void> | undefined;

  constructor(
    private readonly config: FileSinkConfig,
    private readonly ctx: ComponentContext,
    private readonly schemas: SchemaSet = defaultSchemas(),
  ) {
    this.root = resolve(config.directory);
    this.counters = ctx.metrics.component('file_sink');
    this.bytesWritten = ctx.metrics.counter(
      'feedback_loop_file_sink_written_bytes_total',
      'Bytes the file sink wrote to Avro container files.',
      ['topic'],
    );
    this.filesFinished = ctx.metrics.counter(
      'feedback_loop_file_sink_files_total',
      'Avro container files the file sink finished (fsync\'d and renamed).',
      ['topic'],
    );
    // Blocks well under roll_bytes, so a file ends close to its size limit.
    this.blockSize = Math.max(256, Math.min(65_536, Math.floor(config.roll_bytes / 4)));
  }

  start(): Promise<void> {
    this.starting ??= (async () => {
      if (this.shutdownOnce) return;
      await this.recover();
      if (this.stopping) return; // shutdown() came while recovering: stay stopped
      this.started = true;
      this.timer = setInterval(() => {
        this.rollExpired().catch(() => undefined); // failures are recorded and logged by rollExpired
      }, this.config.check_interval);
      this.timer.unref();
    })();
    return this.starting;
  }

  ready(): boolean {
    return this.started && !this.stopping && !this.failure;
  }

  durableSeq(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const f of this.open.values()) min = Math.min(min, f.firstSeq);
    return min === Number.POSITIVE_INFINITY ? this.acceptedSeq : min - 1;
  }

  write(entries: OutboxEntry[]): Promise<void> {
    // Checked at call time: writes queued before shutdown() still complete.
    if (this.stopping) return Promise.reject(new RetryableError(ERROR_CODES.SHUTTING_DOWN, 'file sink is shutting down'));
    return this.serial(async () => {
      if (!this.started) throw new RetryableError(ERROR_CODES.SINK_UNAVAILABLE, 'file sink not started');
      if (this.failure) throw this.unavailable();
      for (const e of entries) await this.writeOne(e);
      // Sizes seen during the batch lag behind compression; settled, they are exact.
      for (const f of this.byFirstSeq()) {
        await this.guard(f.settle());
        if (f.bytes >= this.config.roll_bytes) await this.closeFile(f);
      }
    });
  }

  flush(): Promise<void> {
    return this.serial(async () => {
      if (!this.started) return;
      if (this.failure) throw this.unavailable();
      await this.closeAll();
    });
  }

  /** Closes files older than roll_interval (by the injected clock). The timer calls it; tests may too. */
  rollExpired(): Promise<void> {
    return this.serial(async () => {
      if (!this.started || this.failure) return;
      const now = this.ctx.clock.now();
      for (const f of this.byFirstSeq()) {
        if (now - f.openedMs >= this.config.roll_interval) await this.closeFile(f);
      }
    });
  }

  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      this.stopping = true;
      await this.starting?.catch(() => undefined); // let a recovery in progress finish first
      if (this.timer) clearInterval(this.timer);
      if (!this.started) return;
      await this.serial(async () => {
        if (this.failure) {
          // Nothing more can be made durable; release descriptors, keep .tmp files for the next start.
          for (const f of this.open.values()) await f.abandon();
          return;
        }
        await this.closeAll();
      });
    })();
    return this.shutdownOnce;
  }

  // ── recovery ───────────────────────────────────────────────────────────────

  private async recover(): Promise<void> {
    const sync = this.config.fsync;
    await makeDirs(this.root, sync);
    const found = await scan(this.root);
    let maxLast = 0;
    for (const f of found.finished) maxLast = Math.max(maxLast, f.lastSeq);
    let durable = maxLast;
    for (const t of found.tmps) durable = Math.min(durable, t.firstSeq - 1);
    const previous = await readMarker(this.root);
    let until = maxLast;
    if (previous) {
      durable = Math.min(durable, previous.floor);
      until = Math.max(until, previous.until);
    }
    if (durable < until) {
      // Persist the bound before the .tmp files that imply it are gone.
      this.marker = { floor: durable, until };
      await writeMarker(this.root, this.marker, sync);
    } else if (previous) {
      await removeMarker(this.root, sync);
    }
    const dirs = new Set<string>();
    for (const t of found.tmps) {
      await unlink(t.path);
      dirs.add(dirname(t.path));
    }
    if (sync) for (const d of dirs) await fsyncDir(d);
    for (const path of found.foreignTmps) {
      this.ctx.logger.warn({ path }, 'file sink: leaving a .tmp file it did not write');
    }
    for (const f of found.finished) {
      if (f.lastSeq <= durable) continue; // covered by acceptedSeq
      const ranges = this.finishedRanges.get(f.key) ?? [];
      ranges.push([f.firstSeq, f.lastSeq]);
      this.finishedRanges.set(f.key, ranges);
    }
    for (const ranges of this.finishedRanges.values()) ranges.sort((a, b) => a[0] - b[0]);
    this.acceptedSeq = durable;
    this.ctx.logger.info(
      { directory: this.root, durableSeq: durable, finishedFiles: found.finished.length, tmpFilesRemoved: found.tmps.length },
      'file sink recovered',
    );
  }

  /** True if a finished file in this partition already holds `seq`. Drops ranges acceptedSeq has passed. */
  private alreadyFinished(key: string, seq: number): boolean {
    const ranges = this.finishedRanges.get(key);
    if (!ranges) return false;
    while (ranges.length > 0 && ranges[0]![1] < seq) ranges.shift();
    if (ranges.length === 0) this.finishedRanges.delete(key);
    return ranges.length > 0 && ranges[0]![0] <= seq;
  }

  // ── writing ────────────────────────────────────────────────────────────────

  private async writeOne(e: OutboxEntry): Promise<void> {
    this.counters.received();
    if (e.seq <= this.acceptedSeq) {
      this.counters.dropped('already_written');
      return;
    }
    const key = `${e.topic}/${partitionOf(e.timeMs)}`;
    if (this.alreadyFinished(key, e.seq)) {
      this.counters.dropped('already_written');
      this.acceptedSeq = e.seq;
      return;
    }
    const schema = this.schemas[e.topic as Topic] as SchemaSet[Topic] | undefined;
    if (!schema) {
      // Refusing would block the outbox forever. Counted and logged. (Payloads
      // are validated against their schema when they are encoded, upstream.)
      this.counters.error('unknown_topic');
      this.ctx.logger.error({ topic: e.topic, seq: e.seq, recordId: e.recordId }, 'file sink: entry for an unknown topic; not written');
      this.acceptedSeq = e.seq;
      return;
    }
    let file = this.open.get(key);
    if (!file) {
      if (this.open.size >= this.config.max_open_files) await this.closeFile(this.byFirstSeq()[0]!);
      file = await this.guard(
        ContainerFile.open({
          dir: resolve(this.root, key),
          key,
          firstSeq: e.seq,
          schema: schema.schema,
          codec: this.config.codec,
          deflateLevel: this.config.deflate_level,
          blockSize: this.blockSize,
          openedMs: this.ctx.clock.now(),
          fsync: this.config.fsync,
          onBytes: (n) => this.bytesWritten.labels(e.topic).inc(n),
        }),
      );
      this.open.set(key, file);
    }
    file.write(e.payload, e.seq);
    this.acceptedSeq = e.seq;
    this.counters.emitted();
    if (file.bytes >= this.config.roll_bytes || this.ctx.clock.now() - file.openedMs >= this.config.roll_interval) {
      await this.closeFile(file);
    }
  }

  private async closeFile(file: ContainerFile): Promise<void> {
    const path = await this.guard(file.close());
    this.open.delete(file.key);
    this.filesFinished.labels(file.key.slice(0, file.key.indexOf('/'))).inc();
    this.ctx.logger.debug({ path, records: file.count, bytes: file.bytes }, 'file sink: file finished');
    if (this.marker && this.durableSeq() >= this.marker.until) {
      await this.guard(removeMarker(this.root, this.config.fsync));
      this.marker = undefined;
    }
  }

  /** Oldest first, so durableSeq advances with every file closed. */
  private async closeAll(): Promise<void> {
    for (const f of this.byFirstSeq()) await this.closeFile(f);
  }

  private byFirstSeq(): ContainerFile[] {
    return [...this.open.values()].sort((a, b) => a.firstSeq - b.firstSeq);
  }

  // ── failure handling ───────────────────────────────────────────────────────

  /**
   * An I/O failure leaves entries the sink took in files it cannot finish. The
   * sink then stops: durableSeq stays below them, writes are refused, and a
   * restart (new sink, start()) recovers from the .tmp names as after a crash.
   */
  private async guard<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if (!this.failure) {
        this.failure = err instanceof Error ? err : new Error(String(err));
        this.counters.error('io');
        this.ctx.logger.error({ err: errorMessage(err), directory: this.root }, 'file sink failed; restart to recover');
      }
      throw this.unavailable();
    }
  }

  private unavailable(): RetryableError {
    return new RetryableError(
      ERROR_CODES.SINK_UNAVAILABLE,
      `file sink failed: ${this.failure ? errorMessage(this.failure) : 'unknown error'}`,
      5,
      this.failure,
    );
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
