// Helpers for the scale-out integration tests: a config for one instance of a
// scale-out deployment, seeded GenAI traffic as real OTLP bytes (with
// evaluations parented to the interaction span, so the span-keyed path is
// exercised), a client that fails over between instances like a collector
// retrying, and the check that the output topics hold every interaction
// joined with all of its feedback, exactly once.

import assert from 'node:assert/strict';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { encodeLogs, encodeTraces, generate } from '../../bench/workload';
import { readTopics, singleObjectDecoder, startServiceWithConfig, type ReadRecord } from '../sinks/kafka/helpers';
import type { ServiceProcess } from '../helpers/service-process';

export const OUT_TOPICS = ['labeled_interactions', 'annotation_tasks', 'training_examples', 'orphaned_feedback', 'dead_letters'] as const;

export interface Deployment {
  brokers: string[];
  /** Prefix of every topic and the group id: one per test file. */
  prefix: string;
  window: string;
  partitions: number;
  sessionTimeout: string;
}

export function instanceYaml(d: Deployment, instance: string, ports: { otlp: number; admin: number; dataDir: string }): string {
  const out = (t: string) => `${d.prefix}.${t}`;
  return `service:
  data_dir: ${ports.dataDir}
  shutdown_grace: 30s
sources:
  otlp_http:
    endpoint: 127.0.0.1:${ports.otlp}
join:
  window: ${d.window}
  sweep_interval: 100ms
sinks:
  file:
    enabled: false
  kafka:
    enabled: true
    brokers: ${d.brokers.join(',')}
    partitions: 2
    connect_timeout: 60s
    request_timeout: 10s
    topics:
${OUT_TOPICS.map((t) => `      ${t}: ${out(t)}`).join('\n')}
scale_out:
  enabled: true
  brokers: ${d.brokers.join(',')}
  group_id: ${d.prefix}
  repartition_topic: ${d.prefix}.repartition
  changelog_topic: ${d.prefix}.changelog
  partitions: ${d.partitions}
  commit_interval: 100ms
  session_timeout: ${d.sessionTimeout}
  instance_id: ${instance}
telemetry:
  log_level: info
  admin:
    endpoint: 127.0.0.1:${ports.admin}
`;
}

export function startInstance(d: Deployment, instance: string, dir?: string): Promise<ServiceProcess> {
  return startServiceWithConfig((ports) => instanceYaml(d, instance, ports), { dir, timeoutMs: 90_000 });
}

export interface Body {
  path: '/v1/traces' | '/v1/logs';
  body: Uint8Array;
}

export interface Traffic {
  bodies: Body[];
  /** The explicit feedback, when held back for later (`feedbackLater`); else empty. */
  later: Body[];
  /** Per request id: explicit user feedback and evaluations sent about it. */
  expected: Map<string, { user: number; evaluations: number }>;
}

const evalResource = resourceFromAttributes({ 'service.name': 'evaluator' });

/**
 * N interactions (half with their content in log records), explicit feedback
 * for ~60% (keyed by request id), an evaluation parented to the span of every
 * third. Small bodies, so that an interaction, its content and its feedback
 * usually go to different instances.
 */
export function traffic(seed: number, interactions: number, options: { feedbackLater?: boolean } = {}): Traffic {
  const w = generate({ seed, interactions, feedbackRate: 0.6, legacyShare: 0.5, textBytes: 800 });
  const isFeedback = (s: (typeof w.spans)[number]) => typeof s.attributes['feedback.request_id'] === 'string';
  const held = options.feedbackLater ? w.spans.filter(isFeedback) : [];
  const now = options.feedbackLater ? w.spans.filter((s) => !isFeedback(s)) : w.spans;
  const expected = new Map(w.responseIds.map((id) => [id, { user: w.feedbackCount.get(id) ?? 0, evaluations: 0 }]));
  const evals: ReadableLogRecord[] = [];
  let n = 0;
  for (const s of w.spans) {
    const id = s.attributes['gen_ai.response.id'];
    if (typeof id !== 'string' || n++ % 3 !== 0) continue;
    const end = s.endTime;
    evals.push({
      hrTime: [end[0] + 2, end[1]],
      hrTimeObserved: [end[0] + 2, end[1]],
      spanContext: s.spanContext(),
      severityNumber: 9,
      severityText: 'INFO',
      body: undefined,
      eventName: 'gen_ai.evaluation.result',
      attributes: { 'gen_ai.evaluation.name': 'relevance', 'gen_ai.evaluation.score.value': 0.25 + (n % 3) / 4, 'gen_ai.evaluation.score.label': 'ok' },
      resource: evalResource,
      instrumentationScope: { name: 'evaluator', version: '1.0.0' },
      droppedAttributesCount: 0,
    } as unknown as ReadableLogRecord);
    expected.get(id)!.evaluations++;
  }
  const spans = encodeTraces(now, 'protobuf', 3).map((body): Body => ({ path: '/v1/traces', body }));
  const logs = encodeLogs(w.logs, 'protobuf', 4).map((body): Body => ({ path: '/v1/logs', body }));
  const evalBodies: Body[] = [];
  for (let i = 0; i < evals.length; i += 4) evalBodies.push({ path: '/v1/logs', body: ProtobufLogsSerializer.serializeRequest(evals.slice(i, i + 4))! });
  // Interleaved: some content and evaluations arrive before their interaction, some after.
  const bodies: Body[] = [];
  for (let i = 0; i < Math.max(spans.length, logs.length, evalBodies.length); i++) {
    if (i % 2 === 0 && logs[i]) bodies.push(logs[i]!);
    if (spans[i]) bodies.push(spans[i]!);
    if (i % 2 === 1 && logs[i]) bodies.push(logs[i]!);
    if (evalBodies[i]) bodies.push(evalBodies[i]!);
  }
  const later = held.length ? encodeTraces(held, 'protobuf', 3).map((body): Body => ({ path: '/v1/traces', body })) : [];
  return { bodies, later, expected };
}

/**
 * Posts a body to `instances()[index % n]`; on an error or a non-200 answer
 * tries the next live instance, as a collector would retry. Resolves once
 * one instance accepted it (200: durable in Kafka).
 */
export async function post(instances: () => ServiceProcess[], index: number, b: Body, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let lastError = '';
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const live = instances().filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    const target = live[(index + attempt) % Math.max(1, live.length)];
    if (target) {
      try {
        const res = await fetch(`${target.otlpUrl}${b.path}`, { method: 'POST', body: b.body, headers: { 'content-type': 'application/x-protobuf' } });
        if (res.status === 200) return;
        lastError = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
      } catch (err) {
        lastError = (err as Error).message;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no instance accepted a ${b.path} body: ${lastError}`);
}

/** Reads the output topics (read_committed) until every expected interaction has its final record. */
export function readOutputs(d: Deployment, ids: Set<string>, timeoutMs: number): Promise<ReadRecord[]> {
  return readTopics(
    d.brokers,
    OUT_TOPICS.map((t) => `${d.prefix}.${t}`),
    singleObjectDecoder(),
    (rs) => {
      const got = new Set<string>();
      for (const r of rs) if (r.topic.endsWith('.labeled_interactions') && r.value.final === true) got.add(String(r.value.request_id));
      return [...ids].every((id) => got.has(id));
    },
    timeoutMs,
  );
}

type Rec = Record<string, unknown>;
const arr = (v: unknown): Rec[] => (Array.isArray(v) ? (v as Rec[]) : []);

/** Every interaction exactly once, with all of its feedback and content; no orphans, no dead letters. */
export function checkJoined(d: Deployment, records: ReadRecord[], t: Traffic): void {
  const labeled = records.filter((r) => r.topic === `${d.prefix}.labeled_interactions`);
  const orphans = records.filter((r) => r.topic === `${d.prefix}.orphaned_feedback`);
  const dead = records.filter((r) => r.topic === `${d.prefix}.dead_letters`);
  assert.deepEqual(dead.map((r) => `${String(r.value.reason)}: ${String(r.value.detail)}`), [], 'no dead letters');
  assert.deepEqual(orphans.map((r) => `${String(r.value.request_id)}: ${String(r.value.orphan_reason)}`), [], 'no orphaned feedback');
  // Exactly once on every output topic: no record id twice, not even an identical re-send.
  const seen = new Map<string, number>();
  for (const r of records) seen.set(`${r.topic} ${r.headers['record.id']}`, (seen.get(`${r.topic} ${r.headers['record.id']}`) ?? 0) + 1);
  assert.deepEqual([...seen].filter(([, n]) => n > 1), [], 'no record delivered twice');
  assert.ok(records.some((r) => !r.topic.endsWith('.labeled_interactions')), 'routes wrote annotation tasks or training examples too');
  const byId = new Map<string, ReadRecord[]>();
  for (const r of labeled) byId.set(String(r.value.request_id), [...(byId.get(String(r.value.request_id)) ?? []), r]);
  assert.deepEqual([...byId.keys()].filter((id) => !t.expected.has(id)), [], 'no record for an interaction that was not sent');
  for (const [id, want] of t.expected) {
    const rs = byId.get(id) ?? [];
    // Exactly once: not even a re-send of the same record (transactions, read_committed).
    assert.equal(rs.length, 1, `${id}: ${rs.length} records (offsets ${rs.map((r) => `${r.partition}@${r.offset}`).join(', ')})`);
    const v = rs[0]!.value;
    assert.equal(rs[0]!.key, id, 'keyed by request id');
    assert.equal(rs[0]!.headers['record.id'], v.record_id, 'record.id header');
    assert.equal(v.final, true);
    const fb = arr(v.feedback);
    assert.equal(fb.filter((f) => f.source === 'user').length, want.user, `${id}: user feedback joined`);
    assert.equal(fb.filter((f) => f.feedback_kind === 'evaluation').length, want.evaluations, `${id}: span-parented evaluations joined`);
    const interaction = v.interaction as Rec | null;
    assert.ok(interaction, `${id}: has its interaction`);
    assert.ok(arr(interaction.input_messages).length > 0 && arr(interaction.output_messages).length > 0, `${id}: content joined (span attributes or content logs)`);
  }
}

/** Sum of a metric over instances' /metrics (label-less or summed over labels). */
export async function metricSum(instances: ServiceProcess[], name: string): Promise<number> {
  let total = 0;
  for (const s of instances) {
    if (s.child.exitCode !== null || s.child.signalCode !== null) continue;
    const text = await (await fetch(`${s.adminUrl}/metrics`)).text();
    for (const line of text.split('\n')) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) total += Number(line.split(' ').pop());
  }
  return total;
}
