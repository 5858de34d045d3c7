// The Kafka source: consumes the OpenTelemetry Collector kafkaexporter's
// topics in a consumer group and hands each message, decoded, to the same
// ingest path as OTLP/HTTP.
//
// At-least-once, never skipping:
// - offsets are committed by hand (autoCommit off), only up to the first
//   message the pipeline has not yet taken durably (see offsets.ts);
// - when the pipeline asks for a retry (sink down, backlog full), the
//   partition is paused, its fetch position stays on that message, and it is
//   resumed after a growing back-off — the same message comes again;
// - a message that can never be decoded is dead-lettered (reason and
//   topic/partition/offset; the payload's hash, never its content) and then
//   committed past.
// Within a partition messages are processed one at a time, in order;
// partitions run concurrently.
//
// A configured topic that does not exist yet (the collector's exporter creates
// its topics on its first write) is waited for, not an error: the source reads
// the topics that exist, looks for the others every `topic_check_interval`,
// and when one appears hands its partitions back (committing what is done)
// and rejoins the group with it. It never creates the collector's topics.

import { Kafka, logLevel, type Consumer, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import type { Gauge } from 'prom-client';
import type { IngestConsumer, IngestMeta, IngestResult, Lifecycle } from '../../pipeline/contracts';
import { ERROR_CODES, FeedbackLoopError, PermanentError, errorMessage } from '../../pipeline/errors';
import type { ComponentContext, ComponentCounters } from '../../telemetry/metrics';
import { decodeLogsJson, decodeLogsProto, decodeTracesJson, decodeTracesProto } from '../../otlp';
import type { DecodeLimits } from '../../otlp/limits';
import type { LogsData, TracesData } from '../../otlp/types';
import { kafkaLogCreator, kafkaSecurityOptions } from '../../sinks/kafka/client';
import { registerCompressionCodecs } from '../../sinks/kafka/codecs';
import type { KafkaSourceConfig } from './config';
import { OffsetTracker, type TopicPartitionOffset } from './offsets';
import { TopicPresence } from './topics';

export const COMPONENT = 'kafka';

/** Unknown (non-service) errors are retried this many times before the message is dead-lettered as `internal`. */
const INTERNAL_ATTEMPTS = 3;
const EMPTY = Buffer.alloc(0);

type Signal = 'traces' | 'logs';
type Outcome = 'done' | 'retry';

interface RetryState {
  offset: string;
  attempts: number;
}

/** The part of kafkajs's Kafka the source uses (unit tests pass a fake). */
export type KafkaClient = Pick<Kafka, 'consumer' | 'admin'>;

export class KafkaSource implements Lifecycle {
  private readonly kafka: KafkaClient;
  private readonly counters: ComponentCounters;
  private readonly lag: Gauge<string>;
  private readonly topics: TopicPresence;
  private readonly tracker = new OffsetTracker();
  private readonly signals = new Map<string, Signal>();
  /** Per partition: the message being retried and how often it was tried. */
  private readonly retries = new Map<string, RetryState>();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private client: Consumer | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private topicTimer: NodeJS.Timeout | undefined;
  /** Set while the consumer is being replaced: batches stop before their next message. */
  private draining = false;
  /** Consumer replacements (crash restart, a topic appearing) run one at a time. */
  private transition: Promise<void> = Promise.resolve();
  private joining: Promise<void> | undefined;
  private lastCommitMs = 0;
  private active = 0;
  private idle: (() => void) | undefined;
  private stopping = false;
  private startOnce: Promise<void> | undefined;
  private stopOnce: Promise<void> | undefined;

  constructor(
    private readonly config: KafkaSourceConfig,
    private readonly consumer: IngestConsumer,
    private readonly ctx: ComponentContext,
    private readonly limits: Readonly<DecodeLimits>,
    kafka?: KafkaClient,
  ) {
    if (config.traces_topic) this.signals.set(config.traces_topic, 'traces');
    if (config.logs_topic) this.signals.set(config.logs_topic, 'logs');
    if (this.signals.size === 0) throw new Error('kafka source: set traces_topic or logs_topic');
    if (config.traces_topic && config.traces_topic === config.logs_topic) throw new Error('kafka source: traces_topic and logs_topic must differ');
    // The collector's exporter may compress with snappy, lz4 or zstd; kafkajs reads only gzip itself.
    registerCompressionCodecs();
    this.kafka = kafka ?? new Kafka({
      clientId: config.client_id,
      brokers: config.brokers,
      connectionTimeout: 3000,
      // Retried inside kafkajs; past this a consumer crash restarts it (see onCrash).
      retry: { retries: 8, initialRetryTime: 250, maxRetryTime: 5000 },
      logLevel: ctx.logger.isLevelEnabled('debug') ? logLevel.INFO : logLevel.WARN,
      logCreator: kafkaLogCreator(ctx.logger, COMPONENT, ctx.clock),
      ...kafkaSecurityOptions(config.security),
    });
    this.counters = ctx.metrics.component(COMPONENT);
    this.lag = ctx.metrics.gauge(
      'feedback_loop_kafka_source_lag_messages',
      'Messages between the last one the Kafka source processed and the partition end, as of the last fetch.',
      ['topic', 'partition'],
    );
    this.topics = new TopicPresence(this.kafka, [...this.signals.keys()], ctx, COMPONENT, config.topic_check_interval);
  }

  start(): Promise<void> {
    this.startOnce ??= this.run();
    return this.startOnce;
  }

  /** Stops fetching, lets messages in flight finish in the pipeline, commits, leaves the group. Runs once. */
  shutdown(): Promise<void> {
    this.stopOnce ??= this.stop();
    return this.stopOnce;
  }

  private async run(): Promise<void> {
    if (this.stopping) return;
    const present = await this.topics.look();
    if (present.length > 0) await this.consume(present);
    if (this.topics.missingCount() > 0) this.scheduleTopicCheck();
  }

  /** Looks for the missing topics after topic_check_interval; when one appears, rejoins the group with it. */
  private scheduleTopicCheck(): void {
    if (this.stopping || this.topicTimer) return;
    this.topicTimer = setTimeout(() => {
      this.topicTimer = undefined;
      void this.serially(async () => {
        const before = this.topics.missingCount();
        const present = await this.topics.look();
        if (this.topics.missingCount() < before) await this.replaceConsumer(present);
      })
        .catch((err: unknown) => this.ctx.logger.warn({ component: COMPONENT, err: errorMessage(err) }, 'kafka source: could not look for missing topics; will look again'))
        .finally(() => {
          if (this.topics.missingCount() > 0) this.scheduleTopicCheck();
        });
    }, this.config.topic_check_interval);
    this.topicTimer.unref();
  }

  /** Runs consumer replacements one after another. */
  private serially(fn: () => Promise<void>): Promise<void> {
    const next = this.transition.then(fn);
    this.transition = next.catch(() => undefined);
    return next;
  }

  /** Hands the partitions back (work done is committed) and consumes `topics` with a new consumer. */
  private async replaceConsumer(topics: string[]): Promise<void> {
    if (this.stopping) return;
    const old = this.client;
    if (old) {
      this.draining = true;
      try {
        await this.drain(old);
      } finally {
        this.draining = false;
      }
    }
    if (!this.stopping) await this.consume(topics);
  }

  private async consume(topics: string[]): Promise<void> {
    if (this.stopping) return;
    this.lastCommitMs = this.ctx.clock.now();
    const client = this.kafka.consumer({
      groupId: this.config.group_id,
      sessionTimeout: this.config.session_timeout,
      heartbeatInterval: Math.min(3000, Math.floor(this.config.session_timeout / 3)),
      maxBytesPerPartition: this.config.max_bytes_per_partition,
      maxWaitTimeInMs: 500,
      retry: { retries: 8, initialRetryTime: 250, maxRetryTime: 5000 },
      // The collector's topics are the platform's to create, with their partition count.
      allowAutoTopicCreation: false,
    });
    this.client = client;
    // A new generation: partitions may have moved, and each restarts from its committed offset.
    client.on(client.events.GROUP_JOIN, () => {
      this.tracker.reset();
      this.retries.clear();
    });
    client.on(client.events.CRASH, ({ payload }) => {
      this.counters.error('consumer_crash');
      if (payload.restart || this.stopping) return; // kafkajs restarts it itself
      // A crash kafkajs will not restart from: start a new consumer after a pause.
      this.ctx.logger.error({ component: COMPONENT, err: errorMessage(payload.error) }, 'kafka source: consumer crashed; restarting');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.client !== client) return; // already replaced
        void client.disconnect().catch(() => undefined);
        this.client = undefined;
        this.serially(() => this.run()).catch((err: unknown) =>
          this.ctx.logger.error({ component: COMPONENT, err: errorMessage(err) }, 'kafka source: restart failed'),
        );
      }, this.config.retry_backoff_max);
      this.restartTimer.unref();
    });
    await client.connect();
    await client.subscribe({ topics, fromBeginning: this.config.start_from === 'earliest' });
    // Joining the group can wait for a dead member's session to expire (after
    // a kill -9, up to session_timeout): start() does not wait for it.
    this.joining = client
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.config.partitions_consumed_concurrently,
        eachBatch: (payload) => this.onBatch(payload),
      })
      .catch((err: unknown) => {
        this.counters.error('consumer_crash');
        this.ctx.logger.error({ component: COMPONENT, err: errorMessage(err) }, 'kafka source: could not start consuming');
      });
    this.ctx.logger.info(
      { component: COMPONENT, brokers: this.config.brokers, groupId: this.config.group_id, topics, encoding: this.config.encoding },
      'kafka source started; joining the consumer group',
    );
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.topicTimer) clearTimeout(this.topicTimer);
    await this.startOnce?.catch(() => undefined);
    await this.transition;
    const client = this.client;
    if (!client) return;
    const committed = await this.drain(client);
    this.ctx.logger.info({ component: COMPONENT, committed }, 'kafka source stopped');
  }

  /** Lets the batch in the pipeline finish, commits what is done, leaves the group. Returns the partitions committed. */
  private async drain(client: Consumer): Promise<number> {
    for (const t of this.resumeTimers) clearTimeout(t);
    this.resumeTimers.clear();
    // A join still under way would otherwise complete after the disconnect and start fetching again.
    await this.joining;
    // Batches in progress stop before their next message; the one in the pipeline finishes.
    if (this.active > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    const pending = this.tracker.pending();
    if (pending.length > 0) {
      try {
        await client.commitOffsets(pending);
        this.tracker.committed(pending);
      } catch (err) {
        // Not lost: the messages are redelivered to whoever reads the partitions next (at-least-once).
        this.counters.error('commit_failed');
        this.ctx.logger.warn({ component: COMPONENT, err: errorMessage(err) }, 'kafka source: final commit failed');
      }
    }
    await client.disconnect().catch((err: unknown) =>
      this.ctx.logger.warn({ component: COMPONENT, err: errorMessage(err) }, 'kafka source: disconnect failed'),
    );
    if (this.client === client) this.client = undefined;
    return pending.length;
  }

  // ── a batch of one partition ───────────────────────────────────────────────

  private async onBatch(p: EachBatchPayload): Promise<void> {
    if (this.stopping || this.draining) return;
    this.active++;
    try {
      await this.processBatch(p);
    } finally {
      this.active--;
      if (this.active === 0 && this.idle) {
        const done = this.idle;
        this.idle = undefined;
        done();
      }
    }
  }

  private async processBatch(p: EachBatchPayload): Promise<void> {
    const { topic, partition, highWatermark } = p.batch;
    const signal = this.signals.get(topic);
    if (!signal) return;
    for (const message of p.batch.messages) {
      if (this.stopping || this.draining || !p.isRunning() || p.isStale()) break;
      this.tracker.begin(topic, partition, message.offset);
      const outcome = await this.process(signal, topic, partition, message);
      if (outcome === 'retry') {
        this.tracker.rewind(topic, partition, message.offset);
        this.pauseAndRetry(p, topic, partition);
        break;
      }
      this.tracker.complete(topic, partition, message.offset);
      p.resolveOffset(message.offset);
      this.lag.labels(topic, String(partition)).set(Math.max(0, Number(BigInt(highWatermark) - BigInt(message.offset) - 1n)));
      if (this.ctx.clock.now() - this.lastCommitMs >= this.config.commit_interval) await this.commit(p);
      try {
        await p.heartbeat();
      } catch (err) {
        // A rebalance is under way: keep what is done, then let kafkajs rejoin.
        await this.commit(p);
        throw err;
      }
    }
    await this.commit(p);
  }

  /** Pauses the partition; kafkajs fetches it again, from the unprocessed message, once resumed. */
  private pauseAndRetry(p: EachBatchPayload, topic: string, partition: number): void {
    const k = `${topic}\u0000${partition}`;
    const attempts = this.retries.get(k)?.attempts ?? 1;
    const backoff = Math.min(this.config.retry_backoff_max, this.config.retry_backoff * 2 ** Math.max(0, attempts - 1));
    const resume = p.pause();
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      if (!this.stopping) resume();
    }, backoff);
    timer.unref();
    this.resumeTimers.add(timer);
  }

  /** Commits every partition whose committable offset moved; a failure is retried with the next commit. */
  private async commit(p: EachBatchPayload): Promise<void> {
    const pending = this.tracker.pending();
    if (pending.length === 0) return;
    this.lastCommitMs = this.ctx.clock.now();
    try {
      await p.commitOffsetsIfNecessary({ topics: groupByTopic(pending) });
      this.tracker.committed(pending);
    } catch (err) {
      this.counters.error('commit_failed');
      this.ctx.logger.warn({ component: COMPONENT, err: errorMessage(err) }, 'kafka source: offset commit failed; will retry');
    }
  }

  // ── one message ────────────────────────────────────────────────────────────

  private async process(signal: Signal, topic: string, partition: number, message: KafkaMessage): Promise<Outcome> {
    const k = `${topic}\u0000${partition}`;
    const previous = this.retries.get(k);
    const attempt = previous && previous.offset === message.offset ? previous.attempts + 1 : 1;
    const where = `${topic}[${partition}]@${message.offset}`;
    const value = message.value ?? EMPTY;
    const meta: IngestMeta = { source: COMPONENT, encoding: this.config.encoding, receivedMs: this.ctx.clock.now() };

    let data: TracesData | LogsData;
    try {
      data = this.decode(signal, value);
    } catch (err) {
      // The decoders throw PermanentError for bad input; anything else they throw is still about these bytes.
      const reason = err instanceof PermanentError ? err.code : ERROR_CODES.OTLP_DECODE;
      return this.deadLetter(k, attempt, reason, `${where}: ${errorMessage(err).slice(0, 300)}`, meta, value, message.offset);
    }
    const items = countItems(signal, data);
    if (attempt === 1) this.counters.received(items);
    if (items === 0) return this.done(k);

    let result: IngestResult;
    try {
      result = signal === 'traces' ? await this.consumer.consumeTraces(data as TracesData, meta) : await this.consumer.consumeLogs(data as LogsData, meta);
    } catch (err) {
      if (err instanceof FeedbackLoopError && err.retryable) {
        this.counters.error(err.code);
        return this.retry(k, message.offset, attempt);
      }
      if (!(err instanceof FeedbackLoopError) && attempt < INTERNAL_ATTEMPTS) {
        this.ctx.logger.warn({ component: COMPONENT, where, attempt, err: errorMessage(err) }, 'kafka source: pipeline error; retrying the message');
        return this.retry(k, message.offset, attempt);
      }
      // It will never pass: dead-letter it rather than block the partition forever.
      const reason = err instanceof FeedbackLoopError ? err.code : 'internal';
      this.counters.error(reason, items);
      return this.deadLetter(k, attempt, reason, `${where}: ${errorMessage(err).slice(0, 300)}`, meta, value, message.offset);
    }
    if (result.accepted > 0) this.counters.emitted(result.accepted);
    if (result.rejected > 0) this.counters.error('rejected_by_pipeline', result.rejected);
    return this.done(k);
  }

  private decode(signal: Signal, value: Buffer): TracesData | LogsData {
    if (this.config.encoding === 'otlp_json') {
      return signal === 'traces' ? decodeTracesJson(value, this.limits) : decodeLogsJson(value, this.limits);
    }
    return signal === 'traces' ? decodeTracesProto(value, this.limits) : decodeLogsProto(value, this.limits);
  }

  private async deadLetter(k: string, attempt: number, reason: string, detail: string, meta: IngestMeta, payload: Buffer, offset: string): Promise<Outcome> {
    if (attempt === 1) this.counters.error(reason);
    try {
      await this.consumer.deadLetter(reason, detail, { ...meta, payload });
      this.counters.dropped(reason);
      this.ctx.logger.warn({ component: COMPONENT, reason, detail: detail.slice(0, 300) }, 'kafka source: message dead-lettered');
      return this.done(k);
    } catch (err) {
      // Until it is dead-lettered durably the message must not be committed past.
      this.counters.error('dead_letter_failed');
      this.ctx.logger.warn({ component: COMPONENT, reason, err: errorMessage(err) }, 'kafka source: could not dead-letter a message; retrying');
      return this.retry(k, offset, attempt);
    }
  }

  private retry(k: string, offset: string, attempts: number): Outcome {
    this.retries.set(k, { offset, attempts });
    return 'retry';
  }

  private done(k: string): Outcome {
    this.retries.delete(k);
    return 'done';
  }
}

function countItems(signal: Signal, data: TracesData | LogsData): number {
  let n = 0;
  if (signal === 'traces') {
    for (const rs of (data as TracesData).resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  } else {
    for (const rl of (data as LogsData).resourceLogs) for (const sl of rl.scopeLogs) n += sl.logRecords.length;
  }
  return n;
}

function groupByTopic(offsets: readonly TopicPartitionOffset[]): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const o of offsets) {
    const list = byTopic.get(o.topic) ?? [];
    list.push({ partition: o.partition, offset: o.offset });
    byTopic.set(o.topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}
