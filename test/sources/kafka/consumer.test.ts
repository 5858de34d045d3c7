// The Kafka source's message handling, driven through a fake kafkajs consumer
// (the real broker is in test/integration/kafka-source.test.ts): what it hands
// the pipeline, when it commits, and what it does on retryable errors,
// undecodable input and shutdown.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { generate, encodeTraces } from '../../../bench/workload';
import type { IngestConsumer, IngestMeta, IngestResult } from '../../../src/pipeline/contracts';
import { ERROR_CODES, PermanentError, RetryableError } from '../../../src/pipeline/errors';
import { kafkaSourceConfigSchema } from '../../../src/sources/kafka/config';
import { KafkaSource } from '../../../src/sources/kafka/consumer';
import { decodeLimitsFor } from '../../../src/sources/kafka/factory';
import type { LogsData, TracesData } from '../../../src/otlp/types';
import { Metrics, silentLogger, systemClock } from '../../../src/telemetry';

const TOPIC = 'otlp_spans';
const BODIES = encodeTraces(generate({ seed: 3, interactions: 12, textBytes: 200 }).spans, 'protobuf', 3).map((b) => Buffer.from(b));

type Behavior = 'ok' | 'retry' | 'permanent' | 'bug' | Promise<void>;

/** Records every call; each consumeTraces call takes the next scripted behavior (default ok). */
class ScriptedIngest implements IngestConsumer {
  readonly calls: { spans: number; meta: IngestMeta }[] = [];
  readonly deadLetters: { reason: string; detail: string; payloadBytes: number }[] = [];
  script: Behavior[] = [];
  failDeadLetter = 0;

  async consumeTraces(data: TracesData, meta: IngestMeta): Promise<IngestResult> {
    const spans = data.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0);
    this.calls.push({ spans, meta });
    const b = this.script.shift() ?? 'ok';
    if (b === 'retry') throw new RetryableError(ERROR_CODES.PIPELINE_FULL, 'the sink is behind');
    if (b === 'permanent') throw new PermanentError(ERROR_CODES.REDACTION_FAILED, 'cannot take this');
    if (b === 'bug') throw new TypeError('undefined is not a function');
    if (b !== 'ok') await b;
    return { accepted: spans, rejected: 0 };
  }
  async consumeLogs(_data: LogsData, _meta: IngestMeta): Promise<IngestResult> {
    return { accepted: 0, rejected: 0 };
  }
  async deadLetter(reason: string, detail: string, meta: IngestMeta & { payload?: Uint8Array }): Promise<void> {
    if (this.failDeadLetter > 0) {
      this.failDeadLetter--;
      throw new RetryableError(ERROR_CODES.STORE_UNAVAILABLE, 'store down');
    }
    this.deadLetters.push({ reason, detail, payloadBytes: meta.payload?.length ?? -1 });
  }
  ready(): boolean {
    return true;
  }
}

/**
 * Stands in for kafkajs: run() captures eachBatch; batches are fed by hand.
 * `topics` is what the brokers have (the admin client lists it).
 */
class FakeKafka {
  eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  readonly finalCommits: { topic: string; partition: number; offset: string }[][] = [];
  disconnected = false;
  topics = ['otlp_spans', 'otlp_logs'];
  /** The topics each consumer created so far subscribed to, in order. */
  readonly subscriptions: string[][] = [];
  /** The options each consumer was created with. */
  readonly consumerOptions: Record<string, unknown>[] = [];
  private readonly handlers = new Map<string, (e: unknown) => void>();

  admin(): unknown {
    return { connect: async () => undefined, listTopics: async () => [...this.topics, '__consumer_offsets'], disconnect: async () => undefined };
  }

  consumer(options: Record<string, unknown>): unknown {
    this.disconnected = false;
    this.consumerOptions.push(options);
    return {
      events: { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' },
      on: (name: string, fn: (e: unknown) => void) => this.handlers.set(name, fn),
      connect: async () => undefined,
      subscribe: async (o: { topics: string[] }) => void this.subscriptions.push([...o.topics]),
      run: async (opts: { eachBatch: (p: EachBatchPayload) => Promise<void>; autoCommit: boolean; eachBatchAutoResolve: boolean }) => {
        assert.equal(opts.autoCommit, false, 'offsets are committed by hand');
        assert.equal(opts.eachBatchAutoResolve, false, 'an unprocessed message is never resolved');
        this.eachBatch = opts.eachBatch;
      },
      commitOffsets: async (list: { topic: string; partition: number; offset: string }[]) => {
        this.finalCommits.push(list);
      },
      disconnect: async () => {
        this.disconnected = true;
      },
    };
  }
}

class FakeBatch {
  readonly resolved: string[] = [];
  readonly commits: string[] = [];
  paused = 0;
  resumed = 0;
  constructor(
    readonly offsets: number[],
    readonly values: (Buffer | null)[],
  ) {}

  payload(): EachBatchPayload {
    const messages = this.offsets.map((o, i) => ({ offset: String(o), value: this.values[i], key: null, timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage);
    return {
      batch: { topic: TOPIC, partition: 0, highWatermark: String(this.offsets[this.offsets.length - 1]! + 1), messages },
      resolveOffset: (o: string) => void this.resolved.push(o),
      heartbeat: async () => undefined,
      pause: () => {
        this.paused++;
        return () => void this.resumed++;
      },
      commitOffsetsIfNecessary: async (offsets?: { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }) => {
        for (const t of offsets?.topics ?? []) for (const p of t.partitions) this.commits.push(`${t.topic}/${p.partition}:${p.offset}`);
      },
      uncommittedOffsets: () => ({ topics: [] }),
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload;
  }
}

async function started(
  ingest: ScriptedIngest,
  overrides: Record<string, unknown> = {},
  topics?: string[],
): Promise<{ source: KafkaSource; kafka: FakeKafka; metrics: Metrics }> {
  const config = kafkaSourceConfigSchema.parse({ enabled: true, retry_backoff: '10ms', retry_backoff_max: '40ms', commit_interval: '1h', topic_check_interval: '100ms', ...overrides });
  const kafka = new FakeKafka();
  if (topics) kafka.topics = topics;
  const metrics = new Metrics();
  const source = new KafkaSource(config, ingest, { logger: silentLogger(), metrics, clock: systemClock }, decodeLimitsFor(config), kafka as unknown as Pick<Kafka, 'consumer' | 'admin'>);
  await source.start();
  if (kafka.topics.length > 0) assert.ok(kafka.eachBatch);
  return { source, kafka, metrics };
}

async function until(what: string, cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kafka source message handling', () => {
  it('hands each message to the pipeline in order and commits one past the last, once per batch', async () => {
    const ingest = new ScriptedIngest();
    const { source, kafka, metrics } = await started(ingest);
    const b = new FakeBatch([0, 1, 2], BODIES.slice(0, 3));
    await kafka.eachBatch!(b.payload());
    assert.equal(ingest.calls.length, 3);
    assert.deepEqual(ingest.calls.map((c) => c.meta.source), ['kafka', 'kafka', 'kafka']);
    assert.equal(ingest.calls[0]!.meta.encoding, 'otlp_proto');
    assert.deepEqual(b.resolved, ['0', '1', '2']);
    assert.deepEqual(b.commits, [`${TOPIC}/0:3`]);
    const spans = ingest.calls.reduce((n, c) => n + c.spans, 0);
    assert.equal(await metrics.value('feedback_loop_component_received_items_total', { component: 'kafka' }), spans);
    assert.equal(await metrics.value('feedback_loop_component_emitted_items_total', { component: 'kafka' }), spans);
    assert.equal(await metrics.value('feedback_loop_kafka_source_lag_messages', { topic: TOPIC, partition: '0' }), 0);
    await source.shutdown();
  });

  it('a retryable error pauses the partition, commits only before the message, and the same message is retried after the back-off', async () => {
    const ingest = new ScriptedIngest();
    ingest.script = ['ok', 'retry'];
    const { source, kafka } = await started(ingest);
    const first = new FakeBatch([10, 11, 12], BODIES.slice(0, 3));
    await kafka.eachBatch!(first.payload());
    assert.equal(ingest.calls.length, 2, 'stopped at the message the pipeline refused');
    assert.deepEqual(first.resolved, ['10'], 'the refused message is not resolved, so kafkajs fetches it again');
    assert.deepEqual(first.commits, [`${TOPIC}/0:11`], 'nothing at or past the refused message is committed');
    assert.equal(first.paused, 1);
    await sleep(60);
    assert.equal(first.resumed, 1, 'resumed after the back-off');
    // kafkajs fetches again from 11.
    const again = new FakeBatch([11, 12], BODIES.slice(1, 3));
    await kafka.eachBatch!(again.payload());
    assert.equal(ingest.calls.length, 4);
    assert.equal(ingest.calls[2]!.spans, ingest.calls[1]!.spans, 'the same message came again');
    assert.deepEqual(again.commits, [`${TOPIC}/0:13`]);
    await source.shutdown();
  });

  it('an undecodable message is dead-lettered with topic/partition/offset, then committed past', async () => {
    const ingest = new ScriptedIngest();
    const { source, kafka, metrics } = await started(ingest);
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    const b = new FakeBatch([4, 5, 6], [BODIES[0]!, garbage, BODIES[1]!]);
    await kafka.eachBatch!(b.payload());
    assert.equal(ingest.deadLetters.length, 1);
    const dl = ingest.deadLetters[0]!;
    assert.equal(dl.reason, ERROR_CODES.OTLP_DECODE);
    assert.match(dl.detail, new RegExp(`^${TOPIC}\\[0\\]@5: `));
    assert.equal(dl.payloadBytes, garbage.length, 'the payload goes along (the pipeline keeps only its hash)');
    assert.equal(ingest.calls.length, 2, 'the messages around it were processed');
    assert.deepEqual(b.commits, [`${TOPIC}/0:7`]);
    assert.equal(await metrics.value('feedback_loop_component_errors_total', { component: 'kafka', reason: ERROR_CODES.OTLP_DECODE }), 1);
    await source.shutdown();
  });

  it('is not committed past until the dead letter itself is durable', async () => {
    const ingest = new ScriptedIngest();
    ingest.failDeadLetter = 1;
    const { source, kafka } = await started(ingest);
    const b = new FakeBatch([0, 1], [Buffer.from('not protobuf at all \xff'), BODIES[0]!]);
    await kafka.eachBatch!(b.payload());
    assert.deepEqual(b.commits, [], 'nothing committed');
    assert.equal(b.paused, 1);
    const again = new FakeBatch([0, 1], [Buffer.from('not protobuf at all \xff'), BODIES[0]!]);
    await kafka.eachBatch!(again.payload());
    assert.equal(ingest.deadLetters.length, 1);
    assert.deepEqual(again.commits, [`${TOPIC}/0:2`]);
    await source.shutdown();
  });

  it('a permanent pipeline error dead-letters at once; an unexpected one after a few retries', async () => {
    const ingest = new ScriptedIngest();
    ingest.script = ['permanent', 'bug', 'bug', 'bug'];
    const { source, kafka } = await started(ingest);
    const b = new FakeBatch([0], [BODIES[0]!]);
    await kafka.eachBatch!(b.payload());
    assert.deepEqual(ingest.deadLetters.map((d) => d.reason), [ERROR_CODES.REDACTION_FAILED]);
    assert.deepEqual(b.commits, [`${TOPIC}/0:1`]);
    for (let i = 0; i < 3; i++) {
      const r = new FakeBatch([1], [BODIES[1]!]);
      await kafka.eachBatch!(r.payload());
      if (i < 2) assert.deepEqual(r.commits, [], `attempt ${i + 1}: retried, not committed`);
      else assert.deepEqual(r.commits, [`${TOPIC}/0:2`], 'then dead-lettered and committed');
    }
    assert.deepEqual(ingest.deadLetters.map((d) => d.reason), [ERROR_CODES.REDACTION_FAILED, 'internal']);
    await source.shutdown();
  });

  it('shutdown lets the message in the pipeline finish, takes no new one, commits, and disconnects', async () => {
    const ingest = new ScriptedIngest();
    let release!: () => void;
    ingest.script = [new Promise<void>((r) => (release = r))];
    const { source, kafka } = await started(ingest);
    const b = new FakeBatch([0, 1, 2], BODIES.slice(0, 3));
    const batch = kafka.eachBatch!(b.payload());
    await sleep(10);
    const stopped = source.shutdown();
    await sleep(20);
    assert.equal(kafka.disconnected, false, 'waits for the message in flight');
    release();
    await Promise.all([batch, stopped]);
    assert.equal(ingest.calls.length, 1, 'no message taken after shutdown began');
    assert.deepEqual(b.resolved, ['0']);
    const committed = [...b.commits, ...kafka.finalCommits.flat().map((c) => `${c.topic}/${c.partition}:${c.offset}`)];
    assert.deepEqual(committed, [`${TOPIC}/0:1`], 'exactly the finished message is committed');
    assert.equal(kafka.disconnected, true);
  });

  it('reads OTLP/JSON when configured', async () => {
    const ingest = new ScriptedIngest();
    const { source, kafka } = await started(ingest, { encoding: 'otlp_json' });
    const json = encodeTraces(generate({ seed: 4, interactions: 2, textBytes: 100 }).spans, 'json', 10).map((x) => Buffer.from(x));
    const b = new FakeBatch([0], json);
    await kafka.eachBatch!(b.payload());
    assert.equal(ingest.calls.length, 1);
    assert.equal(ingest.calls[0]!.meta.encoding, 'otlp_json');
    assert.ok(ingest.calls[0]!.spans >= 2);
    await source.shutdown();
  });

  it('never creates the collector\'s topics', async () => {
    const { source, kafka } = await started(new ScriptedIngest());
    assert.equal(kafka.consumerOptions[0]!.allowAutoTopicCreation, false);
    assert.deepEqual(kafka.subscriptions, [['otlp_spans', 'otlp_logs']]);
    await source.shutdown();
  });
});

describe('kafka source: topics that do not exist yet', () => {
  const missing = (metrics: Metrics, topic: string) => metrics.value('feedback_loop_kafka_source_topic_missing', { topic });

  it('starts without them, reads each as it appears, and commits what was done before rejoining', async () => {
    const ingest = new ScriptedIngest();
    const { source, kafka, metrics } = await started(ingest, {}, []);
    assert.equal(kafka.subscriptions.length, 0, 'no consumer while no topic exists');
    assert.equal(await missing(metrics, 'otlp_spans'), 1);
    assert.equal(await missing(metrics, 'otlp_logs'), 1);

    kafka.topics = ['otlp_spans'];
    await until('the spans topic is read', () => kafka.subscriptions.length === 1);
    assert.deepEqual(kafka.subscriptions[0], ['otlp_spans']);
    assert.equal(await missing(metrics, 'otlp_spans'), 0);
    assert.equal(await missing(metrics, 'otlp_logs'), 1);
    // A batch in the pipeline when the second topic appears finishes and is committed before the consumer is replaced.
    let release!: () => void;
    ingest.script = [new Promise<void>((r) => (release = r))];
    const b = new FakeBatch([0, 1, 2], BODIES.slice(0, 3));
    const batch = kafka.eachBatch!(b.payload());
    await sleep(10);

    kafka.topics = ['otlp_spans', 'otlp_logs'];
    await sleep(250);
    assert.equal(kafka.subscriptions.length, 1, 'waits for the message in flight before leaving the group');
    release();
    await batch;
    await until('both topics are read', () => kafka.subscriptions.length === 2);
    assert.deepEqual(kafka.subscriptions[1], ['otlp_spans', 'otlp_logs']);
    assert.equal(ingest.calls.length, 1, 'the rest of the batch is left for the new consumer');
    const committed = [...b.commits, ...kafka.finalCommits.flat().map((c) => `${c.topic}/${c.partition}:${c.offset}`)];
    assert.deepEqual(committed, [`${TOPIC}/0:1`], 'the finished message is committed, nothing past it');
    assert.equal(await missing(metrics, 'otlp_logs'), 0);
    await sleep(250);
    assert.equal(kafka.subscriptions.length, 2, 'no more rejoining once every topic exists');
    await source.shutdown();
  });

  it('shutdown while waiting for every topic stops looking', async () => {
    const { source, kafka } = await started(new ScriptedIngest(), {}, []);
    await source.shutdown();
    kafka.topics = ['otlp_spans', 'otlp_logs'];
    await sleep(250);
    assert.equal(kafka.subscriptions.length, 0);
  });
});
