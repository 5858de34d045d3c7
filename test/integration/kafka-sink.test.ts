// The Kafka sink against a real broker and a real schema registry: what lands
// on the topics (read back with plain kafkajs and the .avsc files or the
// registry), schema registration and the refusal to start on an incompatible
// schema, and a broker outage: ready() false, writes refused, durableSeq
// held, then recovery without a restart.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readWithJavaConsumer, startKafka, startSchemaRegistry, storedBatchCodecs, type KafkaBroker, type SchemaRegistry } from '../infra';
import { TOPICS, type OutboxEntry, type Topic } from '../../src/pipeline/contracts';
import {
  annotationTaskToAvro,
  deadLetterToAvro,
  defaultSchemas,
  labeledRecordToAvro,
  trainingExampleToAvro,
  encodeRecord,
} from '../../src/sinks/avro';
import { kafkaSinkConfigSchema, type KafkaSinkConfig } from '../../src/sinks/kafka/config';
import { KafkaSink } from '../../src/sinks/kafka/kafka-sink';
import { HEADER } from '../../src/sinks/kafka/wire';
import { Metrics, createLogger, systemClock, type Logger } from '../../src/telemetry';
import { fullAnnotationTask, fullDeadLetter, fullLabeledRecord, fullTrainingExample, minimalLabeledRecord } from '../fixtures/avro/records';
import { readTopics, registryDecoder, singleObjectDecoder, type ReadRecord } from '../sinks/kafka/helpers';

const SETUP_TIMEOUT = 20 * 60_000;
let kafka: KafkaBroker | undefined;
let registry: SchemaRegistry | undefined;
const logger: Logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

type SentEntry = OutboxEntry & { value: Record<string, unknown> };

function entries(): SentEntry[] {
  const values: Record<Topic, Record<string, unknown>> = {
    labeled_interactions: labeledRecordToAvro(fullLabeledRecord()),
    annotation_tasks: annotationTaskToAvro(fullAnnotationTask()),
    training_examples: trainingExampleToAvro(fullTrainingExample()),
    orphaned_feedback: labeledRecordToAvro({ ...minimalLabeledRecord(), interaction: undefined, orphanReason: 'never_arrived' }),
    dead_letters: deadLetterToAvro(fullDeadLetter()),
  };
  return TOPICS.map((topic, i) => ({
    seq: i + 1,
    topic,
    key: `req-${i}`,
    recordId: `record-${i}`,
    value: values[topic],
    payload: encodeRecord(topic, values[topic]),
    timeMs: Date.UTC(2026, 2, 14) + i,
  }));
}

function sinkConfig(prefix: string, extra: Record<string, unknown> = {}): KafkaSinkConfig {
  return kafkaSinkConfigSchema.parse({
    enabled: true,
    brokers: kafka!.brokers,
    partitions: 2,
    connect_timeout: '20s',
    request_timeout: '5s',
    topics: Object.fromEntries(TOPICS.map((t) => [t, `${prefix}.${t}`])),
    ...extra,
  });
}

function newSink(config: KafkaSinkConfig): KafkaSink {
  return new KafkaSink(config, { logger, metrics: new Metrics(), clock: systemClock });
}

function checkRecords(records: ReadRecord[], prefix: string, sent: SentEntry[]): void {
  const schemas = defaultSchemas();
  assert.equal(records.length, sent.length);
  for (const e of sent) {
    const r = records.find((x) => x.topic === `${prefix}.${e.topic}`);
    assert.ok(r, `a message on ${prefix}.${e.topic}`);
    assert.equal(r.key, e.key, 'keyed by request id');
    assert.equal(r.headers[HEADER.recordId], e.recordId);
    assert.equal(r.headers[HEADER.schemaName], schemas[e.topic].name);
    assert.equal(r.schemaName, schemas[e.topic].name, 'decoded with the schema of its topic');
    assert.equal(r.headers[HEADER.schemaFingerprint], schemas[e.topic].fingerprint.toString('hex'));
    assert.deepEqual(JSON.parse(JSON.stringify(r.value)), JSON.parse(JSON.stringify(e.value)), `${e.topic} round-trips field by field`);
  }
}

describe('kafka sink on a real broker and schema registry', () => {
  before(
    async () => {
      const [k, r] = await Promise.allSettled([startKafka({ numPartitions: 1 }), startSchemaRegistry()]);
      if (k.status === 'fulfilled') kafka = k.value;
      if (r.status === 'fulfilled') registry = r.value;
      if (k.status === 'rejected') throw k.reason;
      if (r.status === 'rejected') throw r.reason;
    },
    { timeout: SETUP_TIMEOUT },
  );
  after(async () => {
    await Promise.allSettled([registry?.stop(), kafka?.stop()]);
  });

  it('single-object mode: creates the topics and writes every topic’s records, keyed, with headers', { timeout: 90_000 }, async () => {
    const prefix = `so-${randomUUID().slice(0, 8)}`;
    const sink = newSink(sinkConfig(prefix));
    await sink.start();
    try {
      assert.equal(sink.ready(), true);
      const sent = entries();
      await sink.write(sent.slice(0, 2));
      assert.equal(sink.durableSeq(), 2);
      await sink.write(sent.slice(2));
      assert.equal(sink.durableSeq(), sent.length);
      const topics = TOPICS.map((t) => `${prefix}.${t}`);
      const records = await readTopics(kafka!.brokers, topics, singleObjectDecoder(), (rs) => rs.length >= sent.length, 30_000);
      checkRecords(records, prefix, sent);
    } finally {
      await sink.shutdown();
    }
  });

  for (const codec of ['snappy', 'lz4'] as const) {
    it(`compression ${codec}: the broker stores ${codec} batches, and Kafka's Java consumer reads every record`, { timeout: 90_000 }, async () => {
      const prefix = `${codec}-${randomUUID().slice(0, 8)}`;
      const sink = newSink(sinkConfig(prefix, { compression: codec }));
      await sink.start();
      const sent = entries();
      try {
        await sink.write(sent);
        assert.equal(sink.durableSeq(), sent.length);
      } finally {
        await sink.shutdown();
      }
      const decode = singleObjectDecoder();
      for (const e of sent) {
        const topic = `${prefix}.${e.topic}`;
        const codecs = storedBatchCodecs(kafka!, topic);
        assert.ok(codecs.length > 0, `${topic} has batches on disk`);
        assert.deepEqual([...new Set(codecs)], [codec], `${topic}: every stored batch is ${codec}`);
        const [record, ...more] = await readWithJavaConsumer(kafka!, topic, 1);
        assert.equal(more.length, 0);
        const { value } = await decode(record!.value);
        assert.deepEqual(JSON.parse(JSON.stringify(value)), JSON.parse(JSON.stringify(e.value)), `${topic}: the Java client reads the record as written`);
      }
    });
  }

  it('registry mode: registers each schema under <topic>-value and writes the Confluent wire format', { timeout: 90_000 }, async () => {
    const prefix = `cf-${randomUUID().slice(0, 8)}`;
    const sink = newSink(sinkConfig(prefix, { schema_registry_url: registry!.url }));
    await sink.start();
    try {
      const sent = entries();
      await sink.write(sent);
      const decoder = registryDecoder(registry!.url);
      const records = await readTopics(kafka!.brokers, TOPICS.map((t) => `${prefix}.${t}`), decoder, (rs) => rs.length >= sent.length, 30_000);
      checkRecords(records, prefix, sent);
      for (const t of TOPICS) {
        const res = await fetch(`${registry!.url}/subjects/${prefix}.${t}-value/versions/latest`);
        assert.equal(res.status, 200, `subject ${prefix}.${t}-value registered`);
        const latest = (await res.json()) as { id: number; schema: string };
        assert.equal(latest.id, sink.schemaId(t));
        assert.equal((JSON.parse(latest.schema) as { name: string }).name, (JSON.parse(defaultSchemas()[t].schemaJson) as { name: string }).name);
      }
      assert.ok([...decoder.ids].every((id) => TOPICS.some((t) => sink.schemaId(t) === id)));
    } finally {
      await sink.shutdown();
    }
    // A second start finds its schemas already registered: same ids, no new versions.
    const again = newSink(sinkConfig(prefix, { schema_registry_url: registry!.url }));
    await again.start();
    try {
      for (const t of TOPICS) {
        const versions = (await (await fetch(`${registry!.url}/subjects/${prefix}.${t}-value/versions`)).json()) as number[];
        assert.equal(versions.length, 1, `${t}: still one version`);
      }
    } finally {
      await again.shutdown();
    }
  });

  it('refuses to start on a schema the subject’s compatibility rule rejects, naming the subject', { timeout: 60_000 }, async () => {
    const prefix = `bad-${randomUUID().slice(0, 8)}`;
    const subject = `${prefix}.dead_letters-value`;
    const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
    const put = await fetch(`${registry!.url}/config/${subject}`, { method: 'PUT', headers, body: JSON.stringify({ compatibility: 'BACKWARD' }) });
    assert.equal(put.status, 200);
    // An earlier writer's DeadLetter where `reason` was an int: our string `reason` cannot read that data.
    const older = { type: 'record', name: 'DeadLetter', namespace: 'io.otelfeedbackloop.v1', fields: [{ name: 'reason', type: 'int' }] };
    const reg = await fetch(`${registry!.url}/subjects/${subject}/versions`, { method: 'POST', headers, body: JSON.stringify({ schema: JSON.stringify(older) }) });
    assert.equal(reg.status, 200, await reg.text());
    const sink = newSink(sinkConfig(prefix, { schema_registry_url: registry!.url }));
    try {
      await assert.rejects(sink.start(), (err: Error) => {
        assert.match(err.message, new RegExp(`subject "${prefix.replace('.', '\\.')}\\.dead_letters-value"`));
        assert.match(err.message, /not compatible/);
        return true;
      });
      assert.equal(sink.ready(), false);
    } finally {
      await sink.shutdown();
    }
  });

  it('broker down: ready() turns false, writes are refused and durableSeq holds; after the restart writes go through without restarting the sink', { timeout: 120_000 }, async () => {
    const prefix = `out-${randomUUID().slice(0, 8)}`;
    const sink = newSink(sinkConfig(prefix));
    await sink.start();
    try {
      const sent = entries();
      await sink.write(sent.slice(0, 1));
      // Down for longer than the sink's bounded retries (3, 0.2 s doubling to at most
      // 2 s): a quick restart could otherwise be ridden out, with no write ever refused.
      const restarting = kafka!.restart({ downMs: 5000 });
      let refused = 0;
      let sawNotReady = false;
      // While the broker is away: try to write (as the outbox would) and watch readiness.
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        const settled = await Promise.race([restarting.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 300))]);
        if (!sink.ready()) sawNotReady = true;
        if (settled && refused > 0) break;
        try {
          await sink.write(sent.slice(1, 3));
          if (refused > 0) break; // recovered
        } catch {
          refused++;
          assert.equal(sink.durableSeq(), 1, 'a refused write does not count');
        }
      }
      await restarting;
      assert.ok(refused > 0, 'writes were refused while the broker was down');
      assert.ok(sawNotReady, 'ready() was false while the broker was down');
      // The outbox retries: the same entries, then the rest.
      for (const deadline = Date.now() + 30_000; sink.durableSeq() < 3; ) {
        try {
          await sink.write(sent.slice(1, 3));
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await sink.write(sent.slice(3));
      assert.equal(sink.durableSeq(), sent.length);
      for (const deadline = Date.now() + 10_000; !sink.ready() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 200));
      assert.equal(sink.ready(), true, 'ready again');
      const records = await readTopics(kafka!.brokers, TOPICS.map((t) => `${prefix}.${t}`), singleObjectDecoder(), (rs) => new Set(rs.map((r) => r.headers[HEADER.recordId])).size >= sent.length, 30_000);
      // Nothing lost; a write refused after the broker stored part of it may repeat, with the same record id.
      assert.deepEqual([...new Set(records.map((r) => r.headers[HEADER.recordId]))].sort(), sent.map((e) => e.recordId).sort());
    } finally {
      await sink.shutdown();
    }
  });
});
