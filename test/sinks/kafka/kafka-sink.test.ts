// The Kafka sink's bookkeeping and wire formats, with a fake kafkajs producer
// (the real broker and registry are in test/integration/kafka-sink.test.ts).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as avro from 'avsc';
import type { Kafka, ProducerBatch } from 'kafkajs';
import type { OutboxEntry, Topic } from '../../../src/pipeline/contracts';
import { ERROR_CODES, RetryableError } from '../../../src/pipeline/errors';
import { crc64Avro, defaultSchemas, defaultSchemasDir, encodeRecord } from '../../../src/sinks/avro';
import { deadLetterToAvro } from '../../../src/sinks/avro/convert';
import { kafkaSinkConfigSchema } from '../../../src/sinks/kafka/config';
import { KafkaSink } from '../../../src/sinks/kafka/kafka-sink';
import { SchemaRegistryClient, type FetchFn } from '../../../src/sinks/kafka/registry';
import { HEADER, encodeValue, parseConfluent } from '../../../src/sinks/kafka/wire';
import { Metrics, silentLogger, systemClock } from '../../../src/telemetry';

function deadLetter(seq: number, over: Partial<OutboxEntry> = {}, detail = `bad ${seq}`): OutboxEntry {
  return {
    seq,
    topic: 'dead_letters',
    key: `k${seq}`,
    recordId: `rec-${seq}`,
    payload: encodeRecord('dead_letters', deadLetterToAvro({ reason: 'otlp_decode', detail, component: 'kafka', receivedMs: 1_700_000_000_000 + seq })),
    timeMs: 1_700_000_000_000 + seq,
    ...over,
  };
}

/** kafkajs stand-in: records batches, fails sends on demand, counts producers made. */
class FakeKafka {
  readonly batches: ProducerBatch[] = [];
  producersMade = 0;
  failSends = 0;
  /** Sends after this many succeeded fail (simulates the broker going away mid-write). */
  failAfter = Infinity;
  /** A request holding a value larger than this fails like a broker's MESSAGE_TOO_LARGE. */
  maxValueBytes = Infinity;
  reachable = true;
  topics = new Set<string>();
  created: string[] = [];

  producer(): unknown {
    this.producersMade++;
    return {
      connect: async () => {
        if (!this.reachable) throw new Error('connect ECONNREFUSED');
      },
      disconnect: async () => undefined,
      sendBatch: async (b: ProducerBatch) => {
        if (b.topicMessages!.some((t) => t.messages.some((m) => (m.value as Buffer).length > this.maxValueBytes))) {
          throw Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { type: 'MESSAGE_TOO_LARGE', retriable: false });
        }
        if (this.batches.length >= this.failAfter) throw new Error('Connection error: connect ECONNREFUSED');
        if (this.failSends > 0 || !this.reachable) {
          this.failSends = Math.max(0, this.failSends - 1);
          throw new Error('KafkaJSNumberOfRetriesExceeded: connection refused');
        }
        this.batches.push(b);
        return [];
      },
    };
  }
  admin(): unknown {
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      listTopics: async () => [...this.topics],
      createTopics: async ({ topics }: { topics: { topic: string }[] }) => {
        for (const t of topics) {
          this.topics.add(t.topic);
          this.created.push(t.topic);
        }
        return true;
      },
      describeCluster: async () => {
        if (!this.reachable) throw new Error('ECONNREFUSED');
        return { brokers: [], controller: 1, clusterId: 'x' };
      },
    };
  }
}

async function sink(overrides: Record<string, unknown> = {}, registry?: SchemaRegistryClient) {
  const fake = new FakeKafka();
  const metrics = new Metrics();
  const config = kafkaSinkConfigSchema.parse({ enabled: true, connect_timeout: '200ms', ...overrides });
  const s = new KafkaSink(config, { logger: silentLogger(), metrics, clock: systemClock }, { kafka: fake as unknown as Pick<Kafka, 'producer' | 'admin'>, registry });
  return { s, fake, metrics };
}

describe('kafka sink: durableSeq and failures', () => {
  it('creates missing topics, then durableSeq follows acknowledged writes', async () => {
    const { s, fake } = await sink();
    assert.equal(s.ready(), false, 'not ready before start');
    await s.start();
    assert.equal(s.ready(), true);
    assert.deepEqual(fake.created.sort(), Object.values(kafkaSinkConfigSchema.parse({}).topics).sort());
    assert.equal(s.durableSeq(), 0);
    await s.write([deadLetter(1), deadLetter(2)]);
    assert.equal(s.durableSeq(), 2);
    await s.write([deadLetter(5)]);
    assert.equal(s.durableSeq(), 5, 'seq holes (other sinks’ or pruned entries) are fine');
    const b = fake.batches[0]!;
    assert.equal(b.acks, -1, 'acks=all');
    assert.deepEqual(b.topicMessages!.map((t) => t.topic), ['feedback.dead_letters.v1']);
    const m = b.topicMessages![0]!.messages[0]!;
    assert.equal(m.key, 'k1');
    assert.equal(String(m.headers![HEADER.recordId]), 'rec-1');
    assert.equal(String(m.headers![HEADER.schemaName]), 'io.otelfeedbackloop.v1.DeadLetter');
    assert.equal(String(m.headers![HEADER.schemaFingerprint]), defaultSchemas().dead_letters.fingerprint.toString('hex'));
    await s.shutdown();
  });

  it('a failed send rejects with a retryable error, keeps durableSeq, turns ready() false, and a later send recovers with a new producer', async () => {
    const { s, fake, metrics } = await sink();
    await s.start();
    await s.write([deadLetter(1)]);
    fake.failSends = 1;
    await assert.rejects(s.write([deadLetter(2), deadLetter(3)]), (err: unknown) => err instanceof RetryableError && err.code === ERROR_CODES.SINK_UNAVAILABLE);
    assert.equal(s.durableSeq(), 1, 'nothing of the failed write counts');
    assert.equal(s.ready(), false);
    const before = fake.producersMade;
    await s.write([deadLetter(2), deadLetter(3)]);
    assert.equal(s.durableSeq(), 3);
    assert.equal(s.ready(), true);
    assert.equal(fake.producersMade, before + 1, 'a fresh producer after the failure');
    assert.equal(await metrics.value('feedback_loop_component_errors_total', { component: 'kafka_sink', reason: 'send_failed' }), 2);
    await s.shutdown();
  });

  it('skips (counts, logs) an entry for an unknown topic without blocking the ones after it', async () => {
    const { s, fake, metrics } = await sink();
    await s.start();
    const bad = deadLetter(2, { topic: 'no_such_topic' as Topic });
    await s.write([deadLetter(1), bad, deadLetter(3)]);
    assert.equal(s.durableSeq(), 3);
    assert.deepEqual(fake.batches[0]!.topicMessages![0]!.messages.map((m) => m.key), ['k1', 'k3']);
    assert.equal(await metrics.value('feedback_loop_component_errors_total', { component: 'kafka_sink', reason: 'unknown_topic' }), 1);
    await s.shutdown();
  });

  it('splits a write into requests of at most max_request_bytes; a failure half-way keeps what was acknowledged', async () => {
    const { s, fake } = await sink({ max_request_bytes: '2KiB' });
    await s.start();
    const big = (seq: number) => deadLetter(seq, {}, 'x'.repeat(700));
    await s.write([1, 2, 3, 4, 5].map(big));
    assert.equal(s.durableSeq(), 5);
    assert.ok(fake.batches.length >= 3, `split into ${fake.batches.length} requests`);
    for (const b of fake.batches) {
      const bytes = b.topicMessages!.flatMap((t) => t.messages).reduce((n, m) => n + (m.value as Buffer).length, 0);
      assert.ok(bytes <= 2048, `request of ${bytes} bytes`);
    }
    fake.failAfter = fake.batches.length + 1;
    await assert.rejects(s.write([6, 7, 8, 9, 10].map(big)));
    const sentSeqs = fake.batches.slice(-1)[0]!.topicMessages![0]!.messages.map((m) => Number(String(m.key).slice(1)));
    assert.equal(s.durableSeq(), Math.max(...sentSeqs), 'durable through the last acknowledged request');
    assert.ok(s.durableSeq() > 5 && s.durableSeq() < 10);
    await s.shutdown();
  });

  it('a single record over the topic’s limit is counted and skipped; the others go through', async () => {
    const { s, fake, metrics } = await sink();
    await s.start();
    fake.maxValueBytes = 1000;
    const huge = deadLetter(2, {}, 'x'.repeat(5000));
    await s.write([deadLetter(1), huge, deadLetter(3)]);
    assert.equal(s.durableSeq(), 3);
    assert.deepEqual(fake.batches.flatMap((b) => b.topicMessages!.flatMap((t) => t.messages.map((m) => m.key))), ['k1', 'k3']);
    assert.equal(await metrics.value('feedback_loop_component_errors_total', { component: 'kafka_sink', reason: 'too_large' }), 1);
    assert.equal(s.ready(), true, 'not an outage');
    await s.shutdown();
  });

  it('refuses to start when topics are missing and create_topics is false', async () => {
    const { s } = await sink({ create_topics: false });
    await assert.rejects(s.start(), /do not exist and sinks\.kafka\.create_topics is false/);
  });

  it('refuses to start, naming the brokers, when they stay unreachable past connect_timeout', async () => {
    const { s, fake } = await sink();
    fake.reachable = false;
    await assert.rejects(s.start(), /could not connect the Kafka producer within 200ms/);
  });

  it('writes after shutdown are refused as retryable (the outbox keeps them)', async () => {
    const { s } = await sink();
    await s.start();
    await s.shutdown();
    await assert.rejects(s.write([deadLetter(1)]), (err: unknown) => err instanceof RetryableError);
    assert.equal(s.ready(), false);
  });
});

describe('kafka sink: wire formats', () => {
  const schemas = defaultSchemas();
  const value = deadLetterToAvro({ reason: 'otlp_decode', detail: 'x', component: 'kafka', receivedMs: 1_700_000_000_000, payloadSha256: 'ab' });
  // Decoded with the .avsc file itself, not the service's parsed schema.
  const avsc = avro.Type.forSchema(JSON.parse(readFileSync(join(defaultSchemasDir(), 'dead_letter.avsc'), 'utf8')) as avro.Schema);

  it('single-object: C3 01, the CRC-64-AVRO fingerprint (little-endian), then the Avro binary', () => {
    const buf = encodeValue(schemas.dead_letters, value);
    assert.deepEqual([...buf.subarray(0, 2)], [0xc3, 0x01]);
    const fp = crc64Avro(Buffer.from(JSON.stringify(avsc.schema()), 'utf8'));
    assert.equal(buf.readBigUInt64LE(2), fp);
    assert.deepEqual({ ...(avsc.fromBuffer(buf.subarray(10)) as object) }, value);
  });

  it('Confluent: magic 0, the 4-byte big-endian schema id, then the Avro binary', () => {
    const buf = encodeValue(schemas.dead_letters, value, 0x01020304);
    assert.deepEqual([...buf.subarray(0, 5)], [0, 1, 2, 3, 4]);
    const parsed = parseConfluent(buf);
    assert.equal(parsed?.id, 0x01020304);
    assert.deepEqual({ ...(avsc.fromBuffer(parsed!.body) as object) }, value);
    assert.equal(parseConfluent(Buffer.from([0xc3, 0x01, 0, 0, 0])), undefined);
  });

  it('refuses a value that does not match, naming paths, not values', () => {
    assert.throws(() => encodeValue(schemas.dead_letters, { ...value, detail: 12345 }), (err: Error) => /detail/.test(err.message) && !/12345/.test(err.message));
  });

  it('in registry mode every value carries the id the registry gave its subject', async () => {
    const calls: string[] = [];
    const fetchFn: FetchFn = async (url, init) => {
      calls.push(`${init.method} ${url.replace('http://reg', '')}`);
      if (url.includes('/compatibility/')) return Response.json({ error_code: 40401, message: 'Subject not found' }, { status: 404 });
      const subject = decodeURIComponent(url.split('/subjects/')[1]!.split('/')[0]!);
      return Response.json({ id: subject.startsWith('feedback.dead_letters') ? 77 : 5 });
    };
    const { s, fake } = await sink({ schema_registry_url: 'http://reg' }, new SchemaRegistryClient({ url: 'http://reg', fetch: fetchFn }));
    await s.start();
    assert.ok(calls.includes('POST /subjects/feedback.dead_letters.v1-value/versions'));
    assert.ok(calls.indexOf('POST /compatibility/subjects/feedback.dead_letters.v1-value/versions/latest?verbose=true') < calls.indexOf('POST /subjects/feedback.dead_letters.v1-value/versions'), 'checked before registering');
    await s.write([deadLetter(1)]);
    const v = fake.batches[0]!.topicMessages![0]!.messages[0]!.value as Buffer;
    assert.equal(parseConfluent(v)?.id, 77);
    for (const t of ['labeled_interactions', 'orphaned_feedback'] as Topic[]) assert.equal(s.schemaId(t), 5);
    await s.shutdown();
  });
});
