// The Kafka source against a real broker (kafkajs's real fetch, pause/resume
// and commit paths), with a scripted pipeline in place of the service: a
// message the pipeline refuses comes again, in order, never skipped; garbage
// is dead-lettered and committed past; shutdown commits exactly what was
// taken, and a new member of the group resumes from there.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startKafka, type KafkaBroker } from '../infra';
import type { IngestConsumer, IngestMeta, IngestResult } from '../../src/pipeline/contracts';
import { ERROR_CODES, RetryableError } from '../../src/pipeline/errors';
import type { LogsData, TracesData } from '../../src/otlp/types';
import { kafkaSourceConfigSchema } from '../../src/sources/kafka/config';
import { kafkaSourceFactory } from '../../src/sources/kafka/factory';
import { Metrics, createLogger, systemClock } from '../../src/telemetry';

const SETUP_TIMEOUT = 20 * 60_000;
let kafka: KafkaBroker | undefined;
let admin: Admin | undefined;

/** One OTLP/JSON traces message whose single span is named `name`. */
function message(name: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'source-test' } }] },
          scopeSpans: [{ scope: { name: 't' }, spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name, kind: 1, startTimeUnixNano: '1', endTimeUnixNano: '2' }] }],
        },
      ],
    }),
  );
}

/** Takes messages in, refusing the first attempt at every name in `refuseOnce` with a RetryableError. */
class RecordingPipeline implements IngestConsumer {
  readonly taken: string[] = [];
  readonly attempts: string[] = [];
  readonly deadLetters: string[] = [];
  constructor(private readonly refuseOnce: Set<string>) {}
  async consumeTraces(data: TracesData, _meta: IngestMeta): Promise<IngestResult> {
    const name = data.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name;
    this.attempts.push(name);
    if (this.refuseOnce.delete(name)) throw new RetryableError(ERROR_CODES.PIPELINE_FULL, 'sink is behind');
    this.taken.push(name);
    return { accepted: 1, rejected: 0 };
  }
  async consumeLogs(_d: LogsData, _m: IngestMeta): Promise<IngestResult> {
    return { accepted: 0, rejected: 0 };
  }
  async deadLetter(reason: string, detail: string): Promise<void> {
    this.deadLetters.push(`${reason} ${detail}`);
  }
  ready(): boolean {
    return true;
  }
}

function source(topic: string, group: string, pipeline: IngestConsumer) {
  const config = kafkaSourceConfigSchema.parse({
    enabled: true,
    brokers: kafka!.brokers,
    group_id: group,
    traces_topic: topic,
    logs_topic: '',
    encoding: 'otlp_json',
    retry_backoff: '50ms',
    retry_backoff_max: '200ms',
    session_timeout: '6s',
  });
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  return kafkaSourceFactory.create(config, pipeline, { logger, metrics: new Metrics(), clock: systemClock });
}

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function committed(group: string, topic: string): Promise<Map<number, string>> {
  const [t] = await admin!.fetchOffsets({ groupId: group, topics: [topic] });
  return new Map(t!.partitions.map((p) => [p.partition, p.offset]));
}

describe('kafka source on a real broker', () => {
  before(
    async () => {
      kafka = await startKafka({ numPartitions: 1 });
      admin = new Kafka({ clientId: 'source-test', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
    },
    { timeout: SETUP_TIMEOUT },
  );
  after(async () => {
    await admin?.disconnect();
    await kafka?.stop();
  });

  it('retries refused messages in order without skipping, dead-letters garbage, commits exactly what was taken', { timeout: 90_000 }, async () => {
    const topic = 'source-order';
    await admin!.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = new Kafka({ clientId: 'source-test', brokers: kafka!.brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    // Two partitions, each an ordered sequence; one garbage message in partition 1.
    const names = Array.from({ length: 30 }, (_, i) => `m-${i}`);
    await producer.send({
      topic,
      messages: [
        ...names.map((n, i) => ({ partition: i % 2, value: message(n) })),
        { partition: 1, value: Buffer.from('{"resourceSpans": [ not json') },
        { partition: 1, value: message('after-garbage') },
      ],
    });
    const pipeline = new RecordingPipeline(new Set(['m-0', 'm-5', 'm-6', 'm-7', 'm-20', 'after-garbage']));
    const src = source(topic, 'order-group', pipeline);
    await src.start();
    await until('every message taken', () => pipeline.taken.length === names.length + 1 && pipeline.deadLetters.length === 1);
    await src.shutdown();
    await producer.disconnect();

    assert.deepEqual([...pipeline.taken].sort(), [...names, 'after-garbage'].sort(), 'each message taken exactly once, none skipped');
    for (const p of [0, 1]) {
      const order = pipeline.taken.filter((n) => n !== 'after-garbage' && Number(n.slice(2)) % 2 === p);
      assert.deepEqual(order, names.filter((_, i) => i % 2 === p), `partition ${p} in order, refused messages included where they belong`);
    }
    for (const refused of ['m-0', 'm-5', 'm-6', 'm-7', 'm-20', 'after-garbage']) {
      assert.equal(pipeline.attempts.filter((n) => n === refused).length, 2, `${refused}: refused once, then taken`);
    }
    assert.equal(pipeline.deadLetters.length, 1);
    assert.match(pipeline.deadLetters[0]!, /^otlp_decode source-order\[1\]@15: /);
    assert.ok(pipeline.taken.indexOf('after-garbage') > pipeline.taken.indexOf('m-29'), 'partition 1 went past the garbage only after dead-lettering it');
    assert.deepEqual(Object.fromEntries(await committed('order-group', topic)), { 0: '15', 1: '17' }, 'committed through the end of both partitions');

    // A new member of the group starts where the last one committed: nothing again.
    const more = new RecordingPipeline(new Set());
    const again = source(topic, 'order-group', more);
    await again.start();
    const p2 = new Kafka({ clientId: 'source-test', brokers: kafka!.brokers, logLevel: logLevel.NOTHING }).producer();
    await p2.connect();
    await p2.send({ topic, messages: [{ partition: 0, value: message('late-0') }, { partition: 1, value: message('late-1') }] });
    await p2.disconnect();
    await until('the new messages', () => more.taken.length >= 2);
    await again.shutdown();
    assert.deepEqual(more.taken.sort(), ['late-0', 'late-1'], 'only what came after the commit');
    assert.deepEqual(Object.fromEntries(await committed('order-group', topic)), { 0: '16', 1: '18' });
  });
});
