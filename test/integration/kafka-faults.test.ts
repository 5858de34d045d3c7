// Faults on the Kafka path, with a real broker and the real service CLI:
// - the broker restarts mid-stream: nothing is lost, and the same service
//   process recovers on its own (source and sink reconnect);
// - the service is killed with SIGKILL mid-stream and started again on the
//   same data dir: nothing is lost; a record may repeat only as an exact
//   re-send (same record id).
// The input is what the collector's kafka exporter writes (OTLP protobuf
// ExportTraceServiceRequest / ExportLogsServiceRequest per message), produced
// here directly so the timing of the fault is under the test's control.
//
// Each interaction travels with its feedback in one message and the join
// window is short, so records are emitted (acknowledged, pruned) while the
// stream runs: the outage hits the sink as well as the source, and the kill
// can land between a broker ack and the outbox prune. (Joins across messages
// and topics — content logs — are the e2e test's business: a window shorter
// than an outage would rightly miss them.)

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { encodeLogs, encodeTraces, generate, type Workload } from '../../bench/workload';
import { startKafka, type KafkaBroker } from '../infra';
import type { ServiceProcess } from '../helpers/service-process';
import { metricValue, scrape } from '../helpers/metrics-scrape';
import { kafkaServiceYaml, readTopics, singleObjectDecoder, startServiceWithConfig, type ReadRecord } from '../sinks/kafka/helpers';

const SETUP_TIMEOUT = 20 * 60_000;
let kafka: KafkaBroker | undefined;
const services: ServiceProcess[] = [];

interface Input {
  wl: Workload;
  /** [topic, body] in the order they are produced. */
  messages: [string, Buffer][];
}

/**
 * The workload as kafka-exporter messages. Spans are cut so that an
 * interaction and the feedback spans that follow it share a message (as when
 * the feedback arrives within one collector batch); with `legacy`, a share of
 * interactions carry their content as log records on the logs topic instead.
 */
function input(seed: number, spansTopic: string, logsTopic: string, legacy: boolean): Input {
  const wl = generate({ seed, interactions: 240, feedbackRate: 0.3, textBytes: 400, legacyShare: legacy ? 0.3 : 0 });
  const groups: ReadableSpan[][] = [];
  for (const s of wl.spans) {
    if (s.name === 'feedback' && groups.length > 0) groups[groups.length - 1]!.push(s);
    else groups.push([s]);
  }
  const spanBodies: Buffer[] = [];
  let chunk: ReadableSpan[] = [];
  for (const g of groups) {
    chunk.push(...g);
    if (chunk.length >= 8) {
      spanBodies.push(Buffer.from(encodeTraces(chunk, 'protobuf', chunk.length)[0]!));
      chunk = [];
    }
  }
  if (chunk.length) spanBodies.push(Buffer.from(encodeTraces(chunk, 'protobuf', chunk.length)[0]!));
  const spans = spanBodies.map((b): [string, Buffer] => [spansTopic, b]);
  const logs = encodeLogs(wl.logs, 'protobuf', 8).map((b): [string, Buffer] => [logsTopic, Buffer.from(b)]);
  // Interleave, as a collector exporting both pipelines would.
  const messages: [string, Buffer][] = [];
  for (let i = 0; i < Math.max(spans.length, logs.length); i++) {
    if (spans[i]) messages.push(spans[i]!);
    if (logs[i]) messages.push(logs[i]!);
  }
  return { wl, messages };
}

/** Produces one message every `intervalMs`, retrying each until the broker takes it (the broker may be away). */
async function produce(producer: Producer, messages: [string, Buffer][], intervalMs: number, onSent: (n: number) => Promise<void> | void): Promise<void> {
  for (let i = 0; i < messages.length; i++) {
    const [topic, value] = messages[i]!;
    for (let attempt = 0; ; attempt++) {
      try {
        await producer.send({ topic, messages: [{ value }], acks: -1 });
        break;
      } catch (err) {
        if (attempt > 200) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await onSent(i + 1);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function createTopics(names: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'faults-setup', brokers: kafka!.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: 2 })), waitForLeaders: true });
  await admin.disconnect();
}

function newProducer(): Producer {
  return new Kafka({ clientId: 'faults-app', brokers: kafka!.brokers, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 } }).producer();
}

/** Every interaction in exactly one final record (repeats only as the same record), its feedback joined, nothing orphaned or dead-lettered. */
async function checkComplete(prefix: string, wl: Workload, context: () => string): Promise<ReadRecord[]> {
  const ids = new Set(wl.responseIds);
  const records = await readTopics(
    kafka!.brokers,
    ['labeled_interactions', 'orphaned_feedback', 'dead_letters'].map((t) => `${prefix}.${t}`),
    singleObjectDecoder(),
    (rs) => {
      const seen = new Set(rs.filter((r) => r.topic.endsWith('.labeled_interactions')).map((r) => String(r.value.request_id)));
      return [...ids].every((id) => seen.has(id));
    },
    60_000,
  );
  const labeled = records.filter((r) => r.topic === `${prefix}.labeled_interactions`);
  const byRequest = new Map<string, ReadRecord[]>();
  for (const r of labeled) byRequest.set(String(r.value.request_id), [...(byRequest.get(String(r.value.request_id)) ?? []), r]);
  const missing = wl.responseIds.filter((id) => !byRequest.has(id));
  assert.deepEqual(missing, [], `no interaction lost (${labeled.length} records read)\n${context()}`);
  const differing = [...byRequest].filter(([, rs]) => new Set(rs.map((r) => r.value.record_id)).size !== 1).map(([id]) => id);
  assert.deepEqual(differing, [], 'a request repeats only as the very same record (same record id)');
  for (const rs of byRequest.values()) {
    for (const r of rs) assert.equal(r.headers['record.id'], r.value.record_id);
    assert.ok(rs.every((r) => JSON.stringify(r.value) === JSON.stringify(rs[0]!.value)), 'repeats are byte-for-byte the same record');
  }
  assert.equal(byRequest.size, wl.responseIds.length, 'no record for an unknown request');
  for (const [id, n] of wl.feedbackCount) {
    const rec = byRequest.get(id)![0]!.value;
    const user = (rec.feedback as { source: string }[]).filter((f) => f.source === 'user');
    assert.equal(user.length, n, `feedback for ${id}`);
  }
  for (const r of labeled) assert.equal(r.value.final, true);
  // The legacy-form interactions got their content from the logs topic.
  const withContent = labeled.filter((r) => ((r.value.interaction as { input_messages: unknown[] } | null)?.input_messages.length ?? 0) > 0);
  assert.equal(new Set(withContent.map((r) => r.value.request_id)).size, wl.responseIds.length, 'every interaction has its messages (spans and content logs joined)');
  assert.deepEqual(records.filter((r) => r.topic.endsWith('.orphaned_feedback')).map((r) => r.value.orphan_reason), [], 'no feedback orphaned');
  assert.deepEqual(records.filter((r) => r.topic.endsWith('.dead_letters')).map((r) => r.value.reason), [], 'nothing dead-lettered');
  return records;
}

describe('kafka path under faults', () => {
  before(
    async () => {
      kafka = await startKafka({ numPartitions: 2 });
    },
    { timeout: SETUP_TIMEOUT },
  );
  after(async () => {
    await Promise.allSettled(services.map(async (s) => (s.child.exitCode === null && s.child.signalCode === null ? s.kill('SIGKILL') : undefined)));
    await kafka?.stop();
    for (const s of services) rmSync(s.dir, { recursive: true, force: true });
  });

  it('a broker restart mid-stream loses nothing and the service recovers without restarting', { timeout: 180_000 }, async (t) => {
    const [spans, logs, prefix] = ['bounce-spans', 'bounce-logs', 'bounce'];
    await createTopics([spans, logs]);
    const { wl, messages } = input(7, spans, logs, false);
    const svc = await startServiceWithConfig((ports) =>
      kafkaServiceYaml({ ports, brokers: kafka!.brokers, groupId: 'bounce', spansTopic: spans, logsTopic: logs, outPrefix: prefix, window: '2s' }),
    );
    services.push(svc);
    const producer = newProducer();
    await producer.connect();
    let restart: Promise<void> | undefined;
    try {
      await produce(producer, messages, 120, (n) => {
        // A third of the way in, bounce the broker while the stream goes on. It
        // stays down longer than the sink's 2 s idle probe and the 2 s join
        // window, so the service is sure to meet the outage (a bare bounce was
        // sometimes over before the sink had anything to send).
        if (n === Math.floor(messages.length / 3)) restart = kafka!.restart({ downMs: 5000 });
      });
      await restart;
    } finally {
      await producer.disconnect();
    }
    const records = await checkComplete(prefix, wl, () => svc.logs().slice(-3000));
    assert.equal(svc.child.exitCode, null, 'the same service process throughout');
    const metrics = await scrape(svc.adminUrl);
    // A counter that never moved has no series yet: that is a count of 0.
    const errors = (component: string, reason: string): number =>
      metricValue(metrics, 'feedback_loop_component_errors_total', { component, reason }) || 0;
    t.diagnostic(
      `${messages.length} messages in, ${records.length} records out for ${wl.responseIds.length} interactions; ` +
        `sink send failures ${errors('kafka_sink', 'send_failed')}, source retries ${errors('kafka', 'pipeline_full')}, ` +
        `consumer crashes ${errors('kafka', 'consumer_crash')}`,
    );
    assert.ok(metricValue(metrics, 'feedback_loop_component_errors_total', { component: 'kafka_sink', reason: 'send_failed' }) > 0 || /brokers unreachable/.test(svc.logs()), 'the sink did see the outage');
    assert.equal((await fetch(`${svc.adminUrl}/readyz`)).status, 200, 'ready again');
    assert.equal(await svc.kill('SIGTERM'), 0, svc.logs().slice(-2000));
  });

  it('kill -9 of the service mid-stream loses nothing (repeats only with the same record id)', { timeout: 180_000 }, async (t) => {
    const [spans, logs, prefix] = ['crash-spans', 'crash-logs', 'crash'];
    await createTopics([spans, logs]);
    const { wl, messages } = input(8, spans, logs, false);
    const yaml = (ports: { otlp: number; admin: number; dataDir: string }) =>
      kafkaServiceYaml({ ports, brokers: kafka!.brokers, groupId: 'crash', spansTopic: spans, logsTopic: logs, outPrefix: prefix, window: '1s' });
    const first = await startServiceWithConfig(yaml);
    services.push(first);
    const producer = newProducer();
    await producer.connect();
    let killedAfter = -1;
    try {
      await produce(producer, messages, 120, async (n) => {
        if (killedAfter < 0 && n >= Math.floor(messages.length / 2)) {
          // Only once the service has emitted something: the kill lands between ack and prune, mid-window and mid-batch.
          const emitted = metricValue(await scrape(first.adminUrl), 'feedback_loop_component_emitted_items_total', { component: 'kafka_sink' });
          if (emitted > 0) {
            killedAfter = n;
            assert.equal(await first.kill('SIGKILL'), 'SIGKILL');
          }
        }
      });
    } finally {
      await producer.disconnect();
    }
    assert.ok(killedAfter > 0 && killedAfter < messages.length, `killed mid-stream (after ${killedAfter} of ${messages.length} messages)`);
    // Started again on the same data dir: it takes over the group's partitions once the dead member's session expires.
    const second = await startServiceWithConfig(yaml, { dir: first.dir });
    services.push(second);
    const records = await checkComplete(prefix, wl, () => `first run:\n${first.logs().slice(-1500)}\nsecond run:\n${second.logs().slice(-3000)}`);
    const labeled = records.filter((r) => r.topic.endsWith('.labeled_interactions'));
    t.diagnostic(`killed after ${killedAfter} of ${messages.length} messages; ${labeled.length} records for ${wl.responseIds.length} interactions (${labeled.length - wl.responseIds.length} exact repeats)`);
    assert.equal(await second.kill('SIGTERM'), 0, second.logs().slice(-2000));
  });
});
