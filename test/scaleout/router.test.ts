// The partitioned join without a broker: N partitions, each with its own
// store, unchanged join stage and router, exchanging repartition messages
// through in-memory per-partition queues (Kafka's only ordering guarantee:
// per partition). Whatever order the partitions run in, the records must be
// the ones a single instance produces from the same events.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import type { Message } from 'kafkajs';
import { KeyPartitioner } from '../../src/scaleout/codec';
import { repartitionMessages } from '../../src/scaleout/repartition';
import { Router } from '../../src/scaleout/router';
import { scaleOutMetrics } from '../../src/scaleout/metrics';
import { JoinStage, type Decide } from '../../src/stages/join/join';
import { StateStore } from '../../src/stages/join/store';
import { Outbox } from '../../src/pipeline/outbox';
import { joinConfigSchema } from '../../src/stages/join/config';
import { FakeClock, Metrics, silentLogger } from '../../src/telemetry';
import type { LabeledRecord, PipelineEvent } from '../../src/model';
import { prng } from '../../bench/workload';
import { MemorySink } from '../helpers/memory-sink';
import { content, feedback, interaction, noRedaction, records as eventsRecords } from '../helpers/events';
import { serialize } from 'node:v8';

const config = joinConfigSchema.parse({ window: '1h', late_retention: '2h' });
const decide: Decide = (r) => [{ topic: r.interaction ? 'labeled_interactions' : 'orphaned_feedback', key: r.requestId, recordId: r.recordId, payload: serialize(r), timeMs: r.emittedMs }];
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Part {
  store: StateStore;
  join: JoinStage;
  outbox: Outbox;
  sink: MemorySink;
  router: Router;
  queue: Message[];
}

async function node(clock: FakeClock, metrics: Metrics): Promise<{ store: StateStore; join: JoinStage; outbox: Outbox; sink: MemorySink }> {
  const dir = mkdtempSync(pathJoin(tmpdir(), 'router-'));
  dirs.push(dir);
  const ctx = { logger: silentLogger(), metrics, clock };
  const store = new StateStore(dir, { sync: false });
  await store.open();
  const sink = new MemorySink();
  const outbox = new Outbox(store, sink, ctx, { chunk: 100, maxBacklog: 1e6 });
  await outbox.init();
  const join = new JoinStage(config, store, outbox, decide, ctx, 'test');
  await join.init();
  return { store, join, outbox, sink };
}

async function records(sinks: MemorySink[], outboxes: Outbox[]): Promise<LabeledRecord[]> {
  for (const o of outboxes) await o.flush();
  return sinks.flatMap((s) => eventsRecords(s.entries));
}

/** What matters of a record: which request, what closed it, which signals and how much content it carries. */
function summary(rs: LabeledRecord[]): string[] {
  return rs
    .map((r) =>
      [
        r.requestId,
        r.closeReason,
        r.interaction ? `in:${r.interaction.inputMessages.length}/out:${r.interaction.outputMessages.length}` : 'no-interaction',
        r.feedback.map((f) => `${f.name ?? f.feedbackKind}:${f.signalId}`).sort().join(','),
      ].join(' | '),
    )
    .sort();
}

async function single(events: PipelineEvent[]): Promise<string[]> {
  const clock = new FakeClock();
  const n = await node(clock, new Metrics());
  for (const e of events) await n.join.accept([{ event: e, redaction: noRedaction }]);
  clock.advance(config.window + 1);
  while ((await n.join.sweep()) > 0);
  const out = summary(await records([n.sink], [n.outbox]));
  await n.store.close();
  return out;
}

async function partitioned(events: PipelineEvent[], partitions: number, seed: number): Promise<string[]> {
  const clock = new FakeClock();
  const metrics = new Metrics();
  const partitioner = new KeyPartitioner('repartition', partitions);
  const parts: Part[] = [];
  for (let p = 0; p < partitions; p++) {
    const n = await node(clock, metrics);
    const part: Part = { ...n, queue: [], router: undefined as unknown as Router };
    part.router = new Router({
      partition: p,
      store: n.store,
      join: n.join,
      outbox: n.outbox,
      partitioner,
      config,
      policyVersion: 'test',
      ctx: { logger: silentLogger(), metrics, clock },
      metrics: scaleOutMetrics(metrics),
      produce: (m) => parts[m.partition!]!.queue.push(m),
    });
    parts.push(part);
  }
  for (const e of events) for (const { message } of repartitionMessages({ event: e, redaction: noRedaction }, partitioner, config)) parts[message.partition!]!.queue.push(message);
  // Partitions run in a random order, a random number of messages at a time.
  const rand = prng(seed);
  let offset = 0;
  for (;;) {
    const ready = parts.filter((p) => p.queue.length > 0);
    if (ready.length === 0) break;
    const part = ready[Math.floor(rand() * ready.length)]!;
    const batch = part.queue.splice(0, 1 + Math.floor(rand() * 4));
    await part.router.route(batch.map((m) => ({ offset: String(offset++), value: m.value as Buffer })));
  }
  clock.advance(config.window + 1);
  for (const p of parts) while ((await p.join.sweep()) > 0);
  const out = summary(await records(parts.map((p) => p.sink), parts.map((p) => p.outbox)));
  for (const p of parts) await p.store.close();
  return out;
}

/** Interactions whose request id is not their span key, content logs and span-parented evaluations, sessions with retries. */
function scenario(): PipelineEvent[] {
  const ev: PipelineEvent[] = [];
  const span = (n: number) => ({ traceId: `trace${n}`.padEnd(32, '0'), spanId: `span${n}`.padEnd(16, '0') });
  const ask = (text: string) => [{ role: 'user', parts: [{ type: 'text' as const, content: text }] }];
  const T = Date.UTC(2026, 0, 1);
  const i = (n: number, over: Parameters<typeof interaction>[0] = {}) =>
    interaction({ requestId: `chatcmpl-${n}`, span: span(n), inputMessages: [], outputMessages: [], startTimeMs: T + n * 1000, endTimeMs: T + n * 1000 + 500, ...over });
  // Content before its interaction (provisional window, then alias), and after it.
  ev.push(content({ span: span(1), inputMessages: ask('where is my parcel') }));
  ev.push(i(1, { sessionId: 'A', inputMessages: ask('where is my parcel') }));
  ev.push(i(2, { sessionId: 'A', inputMessages: ask('where is my parcel please') }));
  ev.push(content({ span: span(2), outputMessages: [{ role: 'assistant', parts: [{ type: 'text', content: 'It ships today.' }] }] }));
  ev.push(feedback({ signalId: 'eval-2', feedbackKind: 'evaluation', name: 'relevance', source: 'judge', target: { span: span(2) } }));
  ev.push(i(3, { sessionId: 'A', inputMessages: ask('cancel my subscription now') }));
  ev.push(feedback({ signalId: 'thumb-3', target: { requestId: 'chatcmpl-3' } }));
  // Span-targeted feedback before its interaction.
  ev.push(feedback({ signalId: 'eval-4', feedbackKind: 'evaluation', name: 'tone', source: 'judge', target: { span: span(4) } }));
  ev.push(i(4, { sessionId: 'B', inputMessages: ask('hello') }));
  for (let n = 5; n < 25; n++) {
    if (n % 3 === 0) ev.push(content({ span: span(n), inputMessages: ask(`question ${n}`) }));
    ev.push(i(n, { sessionId: `S${n % 5}`, inputMessages: n % 3 === 0 ? [] : ask(`question ${n} about billing`) }));
    if (n % 2 === 0) ev.push(feedback({ signalId: `sig-${n}`, target: { requestId: `chatcmpl-${n}` } }));
    if (n % 4 === 1) ev.push(feedback({ signalId: `span-sig-${n}`, target: { span: span(n) } }));
  }
  // Orphans: by span (no interaction ever) and by unknown request id; a signal with no target.
  ev.push(feedback({ signalId: 'orphan-span', target: { span: span(99) } }));
  ev.push(feedback({ signalId: 'orphan-id', target: { requestId: 'chatcmpl-404' } }));
  ev.push(feedback({ signalId: 'orphan-none', target: {} }));
  return ev;
}

describe('partitioned join = single join', () => {
  it('gives the same records as one instance, whatever order the partitions run in', async () => {
    const events = scenario();
    const expected = await single(events);
    assert.ok(expected.some((s) => s.includes('reformulation:')), 'the scenario has a retry');
    assert.ok(expected.some((s) => s.includes('moved_on:')), 'and a moved-on');
    assert.ok(expected.some((s) => s.includes('abandonment:')), 'and an abandonment');
    assert.ok(expected.some((s) => s.startsWith('chatcmpl-2 ') && s.includes('eval-2') && s.includes('in:1/out:1')), 'span-keyed content and evaluation joined');
    for (const [partitions, seed] of [
      [2, 1],
      [3, 2],
      [6, 3],
      [6, 4],
      [5, 5],
    ] as const) {
      assert.deepEqual(await partitioned(events, partitions, seed), expected, `${partitions} partitions, order seed ${seed}`);
    }
  });
});
