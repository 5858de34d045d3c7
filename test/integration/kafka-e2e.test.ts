// End to end through Kafka, every piece real:
//
//   instrumented GenAI app (child process, @opentelemetry/sdk-node + instrumentation-openai)
//     → OpenTelemetry Collector running the repository's otel-collector.yaml
//     → Kafka otlp_spans / otlp_logs (OTLP protobuf, gzip)
//     → this service (child process, config like config/kafka.yaml, short join window)
//     → Avro topics, read back by a plain kafkajs consumer.
//
// Two deployments of the service consume the same collector output at once
// (separate consumer groups): one writes single-object Avro (decoded here
// with the .avsc files), the other the Confluent wire format (decoded through
// the real schema registry, schema fetched by id). Each output is checked
// field by field against what the app says it did.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { startDeployableCollector, startKafka, startSchemaRegistry, type DeployableCollector, type KafkaBroker, type SchemaRegistry } from '../infra';
import { tailFile } from '../infra/process';
import { start as startModel, type FakeModelServer } from '../apps/fake-model-server';
import { runGenAiAppInChildProcess, type GenAiAppSummary } from '../apps/genai-app';
import { CUSTOMERS } from '../apps/scenarios';
import type { ServiceProcess } from '../helpers/service-process';
import { kafkaServiceYaml, readTopics, registryDecoder, singleObjectDecoder, startServiceWithConfig, type ReadRecord, type ValueDecoder } from '../sinks/kafka/helpers';
import { HEADER } from '../../src/sinks/kafka/wire';

const SETUP_TIMEOUT = 20 * 60_000;
/** The field each topic's record.id header repeats. */
const ID_FIELD: Record<string, string> = {
  labeled_interactions: 'record_id',
  orphaned_feedback: 'record_id',
  annotation_tasks: 'task_id',
  training_examples: 'example_id',
};
const OUT_TOPICS = ['labeled_interactions', 'annotation_tasks', 'training_examples', 'orphaned_feedback', 'dead_letters'];

let kafka: KafkaBroker | undefined;
let registry: SchemaRegistry | undefined;
let collector: DeployableCollector | undefined;
let model: FakeModelServer | undefined;
const services: ServiceProcess[] = [];
let summary: GenAiAppSummary;

type Rec = Record<string, unknown>;
const obj = (v: unknown): Rec => (v && typeof v === 'object' ? (v as Rec) : {});
const arr = (v: unknown): Rec[] => (Array.isArray(v) ? (v as Rec[]) : []);

async function startDeployment(name: string, registryUrl?: string): Promise<ServiceProcess> {
  const svc = await startServiceWithConfig((ports) =>
    kafkaServiceYaml({
      ports,
      brokers: kafka!.brokers,
      groupId: `e2e-${name}`,
      spansTopic: collector!.spansTopic,
      logsTopic: collector!.logsTopic,
      outPrefix: `e2e-${name}`,
      registryUrl,
      window: '4s',
    }),
  );
  services.push(svc);
  return svc;
}

/** Reads one deployment's output until every interaction has its final record and every orphan was emitted. */
async function readOutput(name: string, decode: ValueDecoder): Promise<ReadRecord[]> {
  const ids = new Set(summary.interactions.map((i) => i.responseId));
  const orphans = new Set(summary.feedback.filter((f) => f.orphan).map((f) => f.requestId));
  const topics = OUT_TOPICS.map((t) => `e2e-${name}.${t}`);
  return readTopics(
    kafka!.brokers,
    topics,
    decode,
    (rs) => {
      const finals = new Set(rs.filter((r) => r.topic.endsWith('.labeled_interactions') && r.value.final === true).map((r) => String(r.value.request_id)));
      const orphaned = new Set(rs.filter((r) => r.topic.endsWith('.orphaned_feedback')).map((r) => String(r.value.request_id)));
      return [...ids].every((id) => finals.has(id)) && [...orphans].every((id) => orphaned.has(id));
    },
    90_000,
  );
}

function checkAgainstSummary(records: ReadRecord[], name: string): void {
  const labeled = records.filter((r) => r.topic === `e2e-${name}.labeled_interactions`);
  const orphaned = records.filter((r) => r.topic === `e2e-${name}.orphaned_feedback`);
  const dead = records.filter((r) => r.topic === `e2e-${name}.dead_letters`);
  assert.deepEqual(dead.map((r) => r.value.reason), [], 'nothing dead-lettered');

  const ids = new Set(summary.interactions.map((i) => i.responseId));
  for (const r of records) {
    const topic = r.topic.slice(`e2e-${name}.`.length);
    const idField = ID_FIELD[topic];
    if (idField) assert.equal(r.headers[HEADER.recordId], r.value[idField], `${topic}: the record.id header is the ${idField} field`);
    if ('request_id' in r.value) assert.equal(r.key, r.value.request_id, 'keyed by request id');
    if (topic === 'annotation_tasks' || topic === 'training_examples') assert.ok(ids.has(String(r.value.request_id)), `${topic} about an interaction the app made`);
  }

  for (const i of summary.interactions) {
    const mine = labeled.filter((r) => r.value.request_id === i.responseId);
    // Duplicates only as exact re-sends of the same record (at-least-once).
    assert.equal(new Set(mine.map((r) => r.value.record_id)).size, 1, `${i.responseId}: one record`);
    const rec = mine[0]!.value;
    assert.equal(rec.final, true);
    const it = obj(rec.interaction);
    assert.equal(it.response_id, i.responseId);
    assert.equal(it.request_model, i.requestModel, `${i.responseId} request model`);
    assert.equal(it.response_model, i.responseModel, `${i.responseId} response model`);
    assert.equal(it.trace_id, i.traceId);
    assert.equal(it.span_id, i.spanId);
    assert.equal(it.provider, 'openai');
    const usage = obj(it.usage);
    assert.equal(Number(usage.input_tokens), i.inputTokens, `${i.responseId} input tokens`);
    assert.equal(Number(usage.output_tokens), i.outputTokens, `${i.responseId} output tokens`);
    assert.deepEqual(it.finish_reasons, [i.finishReason]);
    assert.equal(obj(it.resource).service_name, 'support-assistant');
    assert.ok(arr(it.input_messages).some((m) => m.role === 'user'), `${i.responseId}: the user's message is there`);
    if (i.output) assert.ok(arr(it.output_messages).length > 0, `${i.responseId}: the answer is there`);

    const feedback = arr(rec.feedback);
    const expected = summary.feedback.filter((f) => !f.orphan && f.requestId === i.responseId);
    for (const f of expected) {
      const got = feedback.find((s) => s.feedback_kind === f.kind && s.source === 'user');
      assert.ok(got, `${i.responseId}: ${f.kind} feedback joined`);
      if (f.value !== undefined) assert.equal(got.value, f.value, `${i.responseId}: ${f.kind} value`);
      if (f.reason !== undefined) assert.equal(got.reason, f.reason);
      if (f.text !== undefined) assert.ok(typeof got.text === 'string' && got.text.length > 0, `${f.kind} text kept (redacted)`);
    }
    assert.equal(feedback.filter((s) => s.source === 'user').length, expected.length, `${i.responseId}: no extra user feedback`);
    for (const e of summary.evaluations.filter((x) => x.requestId === i.responseId)) {
      const got = feedback.find((s) => s.feedback_kind === 'evaluation' && s.name === e.name);
      assert.ok(got, `${i.responseId}: evaluation ${e.name} joined`);
      assert.equal(got.value, e.scoreValue);
      assert.equal(got.label, e.scoreLabel);
      assert.equal(got.source, 'judge');
    }
  }
  assert.equal(new Set(labeled.map((r) => r.value.request_id)).size, summary.interactions.length, 'no record for an interaction the app did not make');

  for (const f of summary.feedback.filter((x) => x.orphan)) {
    const got = orphaned.find((r) => r.value.request_id === f.requestId);
    assert.ok(got, `orphan feedback for ${f.requestId} emitted`);
    assert.equal(got.value.interaction, null);
    assert.ok(typeof got.value.orphan_reason === 'string');
    assert.equal(arr(got.value.feedback)[0]?.feedback_kind, f.kind);
  }

  // Redaction: no raw email, card number or IBAN of the app's customers, in any record, in any form.
  const pii = CUSTOMERS.flatMap((c) => [c.email, c.card, c.card.replace(/ /g, ''), c.iban, c.iban.replace(/ /g, '')]);
  for (const r of records) {
    const text = r.raw.toString('latin1');
    for (const p of pii) assert.ok(!text.includes(p), `no raw PII in ${r.topic}@${r.offset}`);
  }
  const entities = labeled.map((r) => obj(obj(r.value.redaction).entities));
  const total = (re: RegExp) => entities.reduce((n, e) => n + Object.entries(e).filter(([k]) => re.test(k)).reduce((m, [, v]) => m + Number(v), 0), 0);
  assert.ok(total(/email/i) > 0, 'emails were found and redacted');
  assert.ok(total(/card/i) > 0, 'card numbers were found and redacted');
}

describe('app → collector (otel-collector.yaml) → Kafka → service → Avro topics', () => {
  before(
    async () => {
      const [k, r, m] = await Promise.allSettled([startKafka({ numPartitions: 2 }), startSchemaRegistry(), startModel({ seed: 'kafka-e2e' })]);
      if (k.status === 'fulfilled') kafka = k.value;
      if (r.status === 'fulfilled') registry = r.value;
      if (m.status === 'fulfilled') model = m.value;
      for (const s of [k, r, m]) if (s.status === 'rejected') throw s.reason;
      collector = await startDeployableCollector({ kafkaBrokers: kafka!.brokers });
      // As deployed: the input topics exist before anyone reads or writes them.
      const admin = new Kafka({ clientId: 'e2e-setup', brokers: kafka!.brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: collector.spansTopic, numPartitions: 2 }, { topic: collector.logsTopic, numPartitions: 2 }], waitForLeaders: true });
      await admin.disconnect();
      // Both deployments run while the app sends, as they would in production.
      await Promise.all([startDeployment('so'), startDeployment('cf', registry!.url)]);
      summary = await runGenAiAppInChildProcess({
        baseURL: model!.baseURL,
        otlpEndpoint: collector.otlpHttpEndpoint,
        protocol: 'http/protobuf',
        conversations: 6,
        feedbackShare: 0.75,
        evaluationShare: 0.5,
        orphanFeedback: 1,
        seed: 'kafka-e2e',
      });
    },
    { timeout: SETUP_TIMEOUT },
  );

  after(async () => {
    await Promise.allSettled(services.map(async (s) => (s.child.exitCode === null ? s.kill('SIGTERM') : undefined)));
    await Promise.allSettled([collector?.stop(), registry?.stop(), model?.stop()]);
    await kafka?.stop();
    for (const s of services) rmSync(s.dir, { recursive: true, force: true });
  });

  it('the app exported everything to the collector', () => {
    assert.equal(summary.export.spans.failed + summary.export.logs.failed, 0, summary.export.spans.lastError ?? summary.export.logs.lastError);
    assert.ok(summary.interactions.length >= 6);
    assert.ok(summary.feedback.some((f) => !f.orphan) && summary.evaluations.length > 0);
    const prompts = summary.interactions.map((i) => i.userMessage).join('\n');
    assert.ok(CUSTOMERS.some((c) => prompts.includes(c.email)), 'the prompts carry emails');
    assert.ok(CUSTOMERS.some((c) => prompts.includes(c.card)), 'the prompts carry card numbers');
  });

  it('single-object deployment: every record decodes with the .avsc files and matches the app, field by field', { timeout: 120_000 }, async () => {
    let records: ReadRecord[] = [];
    try {
      records = await readOutput('so', singleObjectDecoder());
      checkAgainstSummary(records, 'so');
    } catch (err) {
      throw new Error(`${(err as Error).message}\nread ${records.length} records\nservice log:\n${services[0]!.logs().slice(-3000)}\ncollector log:\n${tailFile(collector!.logFile, 20)}`, { cause: err });
    }
    assert.ok(records.every((r) => r.raw[0] === 0xc3 && r.raw[1] === 0x01));
  });

  it('registry deployment: every record decodes through the schema registry (schema by id) and matches the app', { timeout: 120_000 }, async () => {
    const decoder = registryDecoder(registry!.url);
    let records: ReadRecord[] = [];
    try {
      records = await readOutput('cf', decoder);
      checkAgainstSummary(records, 'cf');
    } catch (err) {
      throw new Error(`${(err as Error).message}\nread ${records.length} records\nservice log:\n${services[1]!.logs().slice(-3000)}`, { cause: err });
    }
    assert.ok(records.every((r) => r.raw[0] === 0));
    // Each topic's records carry the id registered under its own subject (<topic>-value).
    for (const t of ['labeled_interactions', 'orphaned_feedback']) {
      const res = await fetch(`${registry!.url}/subjects/e2e-cf.${t}-value/versions/latest`);
      assert.equal(res.status, 200, `subject e2e-cf.${t}-value registered`);
      const { id } = (await res.json()) as { id: number };
      const onTopic = records.filter((r) => r.topic === `e2e-cf.${t}`);
      assert.ok(onTopic.length > 0);
      for (const r of onTopic) assert.equal(r.raw.readUInt32BE(1), id);
    }
  });

  it('both deployments shut down cleanly', { timeout: 60_000 }, async () => {
    for (const s of services) assert.equal(await s.kill('SIGTERM'), 0, s.logs().slice(-2000));
    for (const s of services) assert.doesNotMatch(s.logs(), /"level":50/, 'no errors logged');
  });
});
