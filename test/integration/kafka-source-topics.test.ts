// The service deployed before its source topics exist, on a broker that does
// not create topics on demand (as many managed clusters are set up): it must
// start, say which topic it waits for, read each topic once it is created,
// and lose nothing of what was written to either. (Before, it exited at start
// with "This server does not host this topic-partition", naming no topic.)
//
// The spans topic is created and written first; the logs topic appears only
// later, while the source is already reading spans, so the source has to
// rejoin its group with the new topic.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { encodeLogs, encodeTraces, generate } from '../../bench/workload';
import { startKafka, type KafkaBroker } from '../infra';
import type { ServiceProcess } from '../helpers/service-process';
import { metricValue, waitForMetrics } from '../helpers/metrics-scrape';
import { assertWorkloadJoined, kafkaServiceYaml, startServiceWithConfig } from '../sinks/kafka/helpers';

const SPANS = 'late-spans';
const LOGS = 'late-logs';

let kafka: KafkaBroker | undefined;
let svc: ServiceProcess | undefined;

async function createAndWrite(brokers: string[], topic: string, bodies: Uint8Array[]): Promise<void> {
  const client = new Kafka({ clientId: 'late-topics', brokers, logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = client.producer();
  await producer.connect();
  // One OTLP request per message, as the collector's exporter writes them.
  await producer.send({ topic, acks: -1, messages: bodies.map((b) => ({ value: Buffer.from(b) })) });
  await producer.disconnect();
}

describe('Kafka source started before its topics exist', () => {
  before(
    async () => {
      kafka = await startKafka({ properties: { 'auto.create.topics.enable': 'false' } });
    },
    { timeout: 20 * 60_000 },
  );
  after(async () => {
    await svc?.kill('SIGTERM');
    await kafka?.stop();
  });

  it('waits for each topic, names it, and joins everything written once they exist', { timeout: 180_000 }, async () => {
    const brokers = kafka!.brokers;
    svc = await startServiceWithConfig((ports) =>
      kafkaServiceYaml({ ports, brokers, groupId: 'late-topics', spansTopic: SPANS, logsTopic: LOGS, outPrefix: 'late', window: '10s', topicCheckInterval: '300ms' }),
    );
    let exitCode: number | string | undefined;
    void svc.exited.then((c) => (exitCode = c));

    let text = await waitForMetrics(svc.adminUrl, (t) => metricValue(t, 'feedback_loop_kafka_source_topic_missing', { topic: LOGS }) === 1);
    assert.equal(metricValue(text, 'feedback_loop_kafka_source_topic_missing', { topic: SPANS }), 1);
    assert.match(svc.logs(), new RegExp(`topic ${SPANS} does not exist yet; waiting for it`));
    assert.match(svc.logs(), new RegExp(`topic ${LOGS} does not exist yet; waiting for it`));
    const ready = await fetch(`${svc.adminUrl}/readyz`);
    assert.equal(ready.status, 200, 'the service itself is ready: OTLP/HTTP and the sink work');

    const wl = generate({ seed: 91, interactions: 40, feedbackRate: 0.5, textBytes: 1500, legacyShare: 0.3 });
    await createAndWrite(brokers, SPANS, encodeTraces(wl.spans, 'protobuf', 25));
    text = await waitForMetrics(svc.adminUrl, (t) => metricValue(t, 'feedback_loop_kafka_source_topic_missing', { topic: SPANS }) === 0);
    assert.equal(metricValue(text, 'feedback_loop_kafka_source_topic_missing', { topic: LOGS }), 1, 'the logs topic is still missing');
    await createAndWrite(brokers, LOGS, encodeLogs(wl.logs, 'protobuf', 25));

    await assertWorkloadJoined(brokers, 'late.labeled_interactions', wl, () => svc!.logs());
    text = await waitForMetrics(svc.adminUrl, (t) => metricValue(t, 'feedback_loop_kafka_source_topic_missing', { topic: LOGS }) === 0);
    assert.match(svc.logs(), new RegExp(`"topic":"${LOGS}".*topic now exists; reading it`));
    assert.equal(exitCode, undefined, 'the service stayed up');
  });
});
