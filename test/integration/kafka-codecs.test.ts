// The collector's kafka exporter compressing with snappy, lz4 or zstd, through
// a real broker, into the service's Kafka source. kafkajs itself reads only
// gzip; src/sources/kafka/codecs.ts adds the rest.
//
// For each codec: the real collector, running the repository's
// otel-collector.yaml with KAFKA_COMPRESSION set, receives the seeded
// workload over OTLP/HTTP and writes its own topics; one service reads them
// and writes Avro to Kafka. The test first shows the topic really holds that
// codec's batches (a plain kafkajs consumer, without the added codecs, fails
// naming it), then that every interaction comes out joined with its feedback
// and its content log records.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { encodeLogs, encodeTraces, generate } from '../../bench/workload';
import { startDeployableCollector, startKafka, type DeployableCollector, type KafkaBroker } from '../infra';
import type { ServiceProcess } from '../helpers/service-process';
import { assertWorkloadJoined, kafkaServiceYaml, startServiceWithConfig } from '../sinks/kafka/helpers';

const SETUP_TIMEOUT = 20 * 60_000;
const CODECS = ['snappy', 'lz4', 'zstd'] as const;

let kafka: KafkaBroker | undefined;
const collectors: DeployableCollector[] = [];
const services: ServiceProcess[] = [];

/** What a kafkajs consumer without extra codecs says when it fetches `topic` (it crashes on a batch it cannot decompress). */
async function plainConsumerError(brokers: string[], topic: string): Promise<string> {
  const client = new Kafka({ clientId: 'codec-probe', brokers, logLevel: logLevel.NOTHING });
  const consumer = client.consumer({ groupId: `codec-probe-${topic}-${Date.now()}`, retry: { retries: 0 }, maxWaitTimeInMs: 200 });
  const crashed = new Promise<string>((res) => consumer.on(consumer.events.CRASH, (e) => res(String(e.payload.error?.message ?? e.payload.error))));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let read = 0;
    await consumer.run({ eachMessage: async () => void read++ });
    const timeout = new Promise<string>((res) => setTimeout(() => res(`no error within 20 s (${read} messages read)`), 20_000));
    return await Promise.race([crashed, timeout]);
  } finally {
    await consumer.disconnect();
  }
}

/** Waits until the collector has written to `topic` (it batches for up to 1 s, and creates the topic on its first write). */
async function waitForMessages(brokers: string[], topic: string): Promise<void> {
  const admin = new Kafka({ clientId: 'codec-wait', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
      if (offsets.some((o) => Number(o.high) > 0)) return;
      if (Date.now() > deadline) throw new Error(`nothing written to ${topic} within 60 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}

async function post(url: string, body: Uint8Array): Promise<void> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/x-protobuf' } });
  assert.equal(res.status, 200, `${url}: HTTP ${res.status}`);
}

describe('Kafka source reads snappy, lz4 and zstd batches from the real collector', () => {
  before(
    async () => {
      kafka = await startKafka({ numPartitions: 2 });
    },
    { timeout: SETUP_TIMEOUT },
  );
  after(async () => {
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    for (const c of collectors) await c.stop();
    await kafka?.stop();
  });

  for (const [n, codec] of CODECS.entries()) {
    it(`${codec}: every interaction joined with its feedback and content`, { timeout: 180_000 }, async () => {
      const brokers = kafka!.brokers;
      const spansTopic = `codec-${codec}-spans`;
      const logsTopic = `codec-${codec}-logs`;
      const collector = await startDeployableCollector({ kafkaBrokers: brokers, spansTopic, logsTopic, env: { KAFKA_COMPRESSION: codec } });
      collectors.push(collector);

      // Running before the data arrives, as deployed, with both topics
      // created first so both are read from the start and a span and its
      // content log records reach it within one window (a topic appearing
      // later makes the source rejoin; kafka-source-topics.test.ts).
      const admin = new Kafka({ clientId: 'codec-topics', brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [spansTopic, logsTopic].map((topic) => ({ topic, numPartitions: 2 })), waitForLeaders: true });
      await admin.disconnect();
      const svc = await startServiceWithConfig((ports) =>
        kafkaServiceYaml({ ports, brokers, groupId: `codec-${codec}`, spansTopic, logsTopic, outPrefix: `codec-${codec}`, window: '4s' }),
      );
      services.push(svc);
      const wl = generate({ seed: 70 + n, interactions: 40, feedbackRate: 0.5, textBytes: 1500, legacyShare: 0.3 });
      for (const body of encodeTraces(wl.spans, 'protobuf', 25)) await post(`${collector.otlpHttpEndpoint}/v1/traces`, body);
      for (const body of encodeLogs(wl.logs, 'protobuf', 25)) await post(`${collector.otlpHttpEndpoint}/v1/logs`, body);

      await waitForMessages(brokers, spansTopic);
      await waitForMessages(brokers, logsTopic);
      const error = await plainConsumerError(brokers, spansTopic);
      assert.match(error, new RegExp(codec, 'i'), `kafkajs alone cannot read the ${codec} topic`);

      await assertWorkloadJoined(brokers, `codec-${codec}.labeled_interactions`, wl, () => svc.logs());
    });
  }
});
