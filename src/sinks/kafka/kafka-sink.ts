// The Kafka sink: one Kafka topic per logical topic, keyed by request id,
// Avro values (single-object, or the Confluent wire format with a registry).
//
// Delivery: write() sends its entries, in seq order, in produce requests of
// at most max_request_bytes with an idempotent producer (acks=all, one request
// in flight), and resolves only once the broker acknowledged all of them.
// durableSeq() is the last seq of the last acknowledged request — the outbox
// hands entries over in seq order, one write at a time.
// A failed send rejects with a retryable error and leaves durableSeq where it
// was: the outbox keeps the entries and sends them again. Because a send can
// fail after the broker stored part of it, and because a crash can come
// between the broker's ack and the outbox prune, delivery is at-least-once;
// every message carries its record id (header `record.id`, field `record_id`)
// for consumers to dedupe on. See README.md.

import { CompressionTypes, Kafka, Partitioners, logLevel, type Admin, type Message, type Producer } from 'kafkajs';
import type { Counter, Gauge } from 'prom-client';
import type { OutboxEntry, Sink, Topic } from '../../pipeline/contracts';
import { TOPICS } from '../../pipeline/contracts';
import { ERROR_CODES, FeedbackLoopError, RetryableError, errorMessage } from '../../pipeline/errors';
import type { ComponentContext, ComponentCounters } from '../../telemetry/metrics';
import { defaultSchemas, type SchemaSet } from '../avro/schemas';
import { kafkaLogCreator, kafkaSecurityOptions } from './client';
import { registerCompressionCodecs } from './codecs';
import type { KafkaSinkConfig } from './config';
import { SchemaRegistryClient } from './registry';
import { frameValue, messageHeaders } from './wire';

export const COMPONENT = 'kafka_sink';

/** How often reachability is probed while no write tells us. */
const HEALTH_INTERVAL_MS = 2000;
const COMPRESSION: Record<KafkaSinkConfig['compression'], CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
};

export interface KafkaSinkOptions {
  schemas?: SchemaSet;
  /** Overrides the client built from schema_registry_url (tests). */
  registry?: SchemaRegistryClient;
  /** Overrides the kafkajs client built from the config (unit tests use a fake). */
  kafka?: KafkaClient;
}

/** The part of kafkajs's Kafka the sink uses. */
export type KafkaClient = Pick<Kafka, 'producer' | 'admin'>;

/** An encoded entry on its way out. */
interface Outgoing {
  entry: OutboxEntry;
  topic: string;
  message: Message;
  size: number;
  /** Highest seq this message's acknowledgement makes durable (skipped unwritable entries after it count too). */
  coversSeq: number;
}

function messageBytes(m: Message): number {
  let n = 64 + (m.value as Buffer).length + (typeof m.key === 'string' ? Buffer.byteLength(m.key) : 0);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += k.length + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  return n;
}

/** The Kafka error type (e.g. MESSAGE_TOO_LARGE) of a kafkajs error, looking through its wrappers. */
function errorType(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const x = e as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    if (typeof x.type === 'string') return x.type;
    e = x.cause ?? x.originalError ?? (Array.isArray(x.errors) ? x.errors[0] : undefined);
  }
  return undefined;
}

export class KafkaSink implements Sink {
  readonly name = 'kafka';
  private readonly kafka: KafkaClient;
  private readonly schemas: SchemaSet;
  private readonly registry: SchemaRegistryClient | undefined;
  private readonly counters: ComponentCounters;
  private readonly bytes: Counter<string>;
  private readonly readyGauge: Gauge<string>;
  /** Confluent schema ids by logical topic; empty in single-object mode. */
  private readonly registryIds = new Map<Topic, number>();
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  /** Highest seq whose write the broker acknowledged (or that was skipped as unwritable). */
  private acked = 0;
  private healthy = false;
  private started = false;
  private stopping = false;
  private writing = false;
  private probing = false;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private starting: Promise<void> | undefined;
  private shutdownOnce: Promise<void> | undefined;

  constructor(
    private readonly config: KafkaSinkConfig,
    private readonly ctx: ComponentContext,
    options: KafkaSinkOptions = {},
  ) {
    this.schemas = options.schemas ?? defaultSchemas();
    // snappy and lz4 are not built into kafkajs.
    registerCompressionCodecs();
    this.registry =
      options.registry ?? (config.schema_registry_url ? new SchemaRegistryClient({ url: config.schema_registry_url }) : undefined);
    this.kafka = options.kafka ?? new Kafka({
      clientId: config.client_id,
      brokers: config.brokers,
      connectionTimeout: 3000,
      requestTimeout: config.request_timeout,
      // Short, bounded retries: a write that cannot reach the broker must fail
      // so the outbox keeps its entries and readiness turns false; the outbox
      // retries on its own schedule.
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
      logLevel: ctx.logger.isLevelEnabled('debug') ? logLevel.INFO : logLevel.WARN,
      logCreator: kafkaLogCreator(ctx.logger, COMPONENT, ctx.clock),
      ...kafkaSecurityOptions(config.security),
    });
    this.counters = ctx.metrics.component(COMPONENT);
    this.bytes = ctx.metrics.counter('feedback_loop_kafka_sink_written_bytes_total', 'Bytes of Avro values the Kafka sink had acknowledged, by Kafka topic.', ['topic']);
    this.readyGauge = ctx.metrics.gauge('feedback_loop_kafka_sink_ready', '1 while the Kafka sink reaches the brokers, else 0.');
    this.readyGauge.set(0);
  }

  /** The Kafka topic a logical topic goes to. */
  kafkaTopic(topic: Topic): string {
    return this.config.topics[topic];
  }

  /** The Confluent schema id used for a logical topic (registry mode), for tests and logs. */
  schemaId(topic: Topic): number | undefined {
    return this.registryIds.get(topic);
  }

  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const deadline = this.ctx.clock.now() + this.config.connect_timeout;
    if (this.registry) await this.untilDeadline(deadline, 'reach the schema registry', () => this.registerSchemas());
    this.admin = this.kafka.admin();
    await this.untilDeadline(deadline, `reach the Kafka brokers ${this.config.brokers.join(',')}`, async () => {
      await this.admin!.connect();
      await this.ensureTopics(this.admin!);
    });
    await this.untilDeadline(deadline, 'connect the Kafka producer', async () => {
      await this.connectedProducer();
    });
    if (this.stopping) return;
    this.started = true;
    this.healthy = true;
    this.readyGauge.set(1);
    this.timer = setInterval(() => void this.probe(), HEALTH_INTERVAL_MS);
    this.timer.unref();
    this.ctx.logger.info(
      {
        component: COMPONENT,
        brokers: this.config.brokers,
        format: this.registry ? 'confluent' : 'single-object',
        topics: this.config.topics,
      },
      'kafka sink started',
    );
  }

  ready(): boolean {
    return this.started && !this.stopping && this.healthy;
  }

  durableSeq(): number {
    return this.acked;
  }

  write(entries: OutboxEntry[]): Promise<void> {
    if (this.stopping) return Promise.reject(new RetryableError(ERROR_CODES.SHUTTING_DOWN, 'kafka sink is shutting down'));
    return this.serial(async () => {
      if (!this.started) throw new RetryableError(ERROR_CODES.SINK_UNAVAILABLE, 'kafka sink not started');
      await this.send(entries);
    });
  }

  /** Every write already waits for the broker's acknowledgement: flushing is waiting for the one in progress. */
  flush(): Promise<void> {
    return this.serial(async () => undefined);
  }

  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      this.stopping = true;
      if (this.timer) clearInterval(this.timer);
      await this.starting?.catch(() => undefined);
      await this.queue.catch(() => undefined);
      this.readyGauge.set(0);
      await this.producer?.disconnect().catch(() => undefined);
      await this.admin?.disconnect().catch(() => undefined);
      this.producer = undefined;
    })();
    return this.shutdownOnce;
  }

  // ── sending ────────────────────────────────────────────────────────────────

  /**
   * Sends `entries` in requests of at most max_request_bytes, in seq order,
   * moving durableSeq after each acknowledged request: a write that fails
   * half-way keeps what the broker already acknowledged.
   */
  private async send(entries: OutboxEntry[]): Promise<void> {
    let batch: Outgoing[] = [];
    let bytes = 0;
    for (const e of entries) {
      this.counters.received();
      if (e.seq <= this.acked) continue; // already acknowledged by this process
      const message = this.encode(e);
      if (!message) {
        // Unwritable (counted and logged): once everything before it is acknowledged it counts as done.
        if (batch.length === 0) this.acked = e.seq;
        else batch[batch.length - 1]!.coversSeq = e.seq;
        continue;
      }
      const size = messageBytes(message);
      if (batch.length > 0 && bytes + size > this.config.max_request_bytes) {
        await this.sendRequest(batch);
        batch = [];
        bytes = 0;
      }
      batch.push({ entry: e, topic: this.kafkaTopic(e.topic), message, size, coversSeq: e.seq });
      bytes += size;
    }
    if (batch.length > 0) await this.sendRequest(batch);
  }

  /** One produce request (one record batch per partition); on success durableSeq covers its last entry. */
  private async sendRequest(batch: Outgoing[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const o of batch) {
      const messages = byTopic.get(o.topic);
      if (messages) messages.push(o.message);
      else byTopic.set(o.topic, [o.message]);
    }
    try {
      const producer = await this.connectedProducer();
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        acks: -1,
        timeout: this.config.request_timeout,
        compression: COMPRESSION[this.config.compression],
      });
    } catch (err) {
      if (batch.length > 1 && errorType(err) === 'MESSAGE_TOO_LARGE') {
        // A partition's batch went over the topic's limit (max_request_bytes set
        // above it, or a smaller max.message.bytes on one topic): one at a time.
        for (const o of batch) await this.sendRequest([o]);
        return;
      }
      if (batch.length === 1 && errorType(err) === 'MESSAGE_TOO_LARGE') {
        // One record over the topic's max.message.bytes: no retry can deliver
        // it, and refusing would block the outbox forever. Counted and logged.
        const o = batch[0]!;
        this.counters.error('too_large');
        this.ctx.logger.error(
          { component: COMPONENT, topic: o.topic, seq: o.entry.seq, recordId: o.entry.recordId, bytes: o.size },
          "kafka sink: record larger than the topic's max.message.bytes; not sent (raise max.message.bytes / sinks.kafka.max_message_bytes)",
        );
        this.acked = o.coversSeq;
        return;
      }
      this.counters.error('send_failed', batch.length);
      this.setHealthy(false);
      // A fresh producer next time: after a failure kafkajs's idempotent
      // sequence numbers may no longer match the broker's, which would fail
      // every later send (OUT_OF_ORDER_SEQUENCE_NUMBER).
      this.dropProducer();
      throw new RetryableError(ERROR_CODES.SINK_UNAVAILABLE, `kafka sink: send failed: ${errorMessage(err)}`, 2, err);
    }
    this.setHealthy(true);
    this.counters.emitted(batch.length);
    for (const o of batch) this.bytes.labels(o.topic).inc((o.message.value as Buffer).length);
    this.acked = batch[batch.length - 1]!.coversSeq;
  }

  /** The Kafka message for an entry (its payload was encoded and validated when it was decided), or undefined for an unknown topic. */
  private encode(e: OutboxEntry): Message | undefined {
    const schema = (this.schemas as Partial<SchemaSet>)[e.topic];
    if (!schema || !(TOPICS as readonly string[]).includes(e.topic)) {
      this.counters.error('unknown_topic');
      this.ctx.logger.error({ component: COMPONENT, topic: e.topic, seq: e.seq, recordId: e.recordId }, 'kafka sink: entry for an unknown topic; not sent');
      return undefined;
    }
    return {
      key: e.key === '' ? null : e.key,
      value: frameValue(schema, e.payload, this.registry ? this.registryIds.get(e.topic) : undefined),
      headers: messageHeaders(schema, e),
      timestamp: String(Math.trunc(Number.isFinite(e.timeMs) ? e.timeMs : this.ctx.clock.now())),
    };
  }

  private async connectedProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // The Java client's partitioner: a key lands on the same partition whichever client wrote it.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    await producer.connect();
    this.producer = producer;
    return producer;
  }

  private dropProducer(): void {
    const old = this.producer;
    this.producer = undefined;
    void old?.disconnect().catch(() => undefined);
  }

  private setHealthy(v: boolean): void {
    if (v !== this.healthy) {
      this.ctx.logger[v ? 'info' : 'warn']({ component: COMPONENT, brokers: this.config.brokers }, v ? 'kafka sink: brokers reachable' : 'kafka sink: brokers unreachable');
    }
    this.healthy = v;
    this.readyGauge.set(v && this.started && !this.stopping ? 1 : 0);
  }

  /** Between writes, asks the cluster for metadata so readiness follows the brokers even when idle. */
  private async probe(): Promise<void> {
    if (!this.started || this.stopping || this.writing || this.probing || !this.admin) return;
    this.probing = true;
    try {
      await this.admin.describeCluster();
      if (!this.writing) this.setHealthy(true);
    } catch {
      if (!this.writing) this.setHealthy(false);
    } finally {
      this.probing = false;
    }
  }

  // ── start-up ───────────────────────────────────────────────────────────────

  private async registerSchemas(): Promise<void> {
    for (const topic of TOPICS) {
      if (this.registryIds.has(topic)) continue;
      const subject = `${this.kafkaTopic(topic)}-value`;
      const id = await this.registry!.ensure(subject, this.schemas[topic].schemaJson, this.config.schema_registry_auto_register);
      this.registryIds.set(topic, id);
      this.ctx.logger.info({ component: COMPONENT, subject, id, schema: this.schemas[topic].name }, 'kafka sink: schema registered');
    }
  }

  private async ensureTopics(admin: Admin): Promise<void> {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(TOPICS.map((t) => this.kafkaTopic(t)))].filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    if (!this.config.create_topics) {
      throw new FeedbackLoopError(
        ERROR_CODES.CONFIG_INVALID,
        `kafka sink: topic(s) ${missing.join(', ')} do not exist and sinks.kafka.create_topics is false`,
      );
    }
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: this.config.partitions,
        ...(this.config.replication_factor ? { replicationFactor: this.config.replication_factor } : {}),
        ...(this.config.max_message_bytes ? { configEntries: [{ name: 'max.message.bytes', value: String(this.config.max_message_bytes) }] } : {}),
      })),
    });
    this.ctx.logger.info({ component: COMPONENT, topics: missing, partitions: this.config.partitions }, 'kafka sink: topics created');
  }

  /**
   * Runs `op` until it succeeds, retrying what may pass (network trouble,
   * registry 5xx, kafkajs retriable errors) until `deadline`; anything else
   * (an incompatible schema, a missing topic) fails at once.
   */
  private async untilDeadline(deadline: number, what: string, op: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopping) throw new RetryableError(ERROR_CODES.SHUTTING_DOWN, 'kafka sink stopped while starting');
      try {
        await op();
        return;
      } catch (err) {
        const permanent = err instanceof FeedbackLoopError && !err.retryable;
        if (permanent || this.ctx.clock.now() >= deadline) {
          if (permanent) throw err;
          throw new FeedbackLoopError(ERROR_CODES.SINK_UNAVAILABLE, `kafka sink: could not ${what} within ${this.config.connect_timeout}ms: ${errorMessage(err)}`, {
            cause: err,
          });
        }
        this.ctx.logger.warn({ component: COMPONENT, attempt, err: errorMessage(err) }, `kafka sink: cannot ${what} yet; retrying`);
        await new Promise((r) => setTimeout(r, Math.min(2000, 250 * 2 ** attempt)));
      }
    }
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.writing = true;
      try {
        return await op();
      } finally {
        this.writing = false;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
