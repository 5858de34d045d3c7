import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { serialize } from 'node:v8';
import { decodeRecord } from '../../../src/sinks/avro';
import { KEY, StateStore } from '../../../src/stages/join/store';
import { absorb, addFragment, contentRefs, newWindow } from '../../../src/stages/join/window';
import { JoinStage, type Decide } from '../../../src/stages/join/join';
import { Outbox } from '../../../src/pipeline/outbox';
import { joinConfigSchema, type JoinConfig } from '../../../src/stages/join/config';
import { FakeClock, Metrics, silentLogger } from '../../../src/telemetry';
import type { LabeledRecord, PipelineEvent } from '../../../src/model';
import { MemorySink } from '../../helpers/memory-sink';
import { content, feedback, interaction, noRedaction, records } from '../../helpers/events';

const HOUR = 3_600_000;

const decide: Decide = (r) => [
  {
    topic: r.interaction ? 'labeled_interactions' : 'orphaned_feedback',
    key: r.requestId,
    recordId: r.recordId,
    // The join does not care what the bytes are: these carry the record whole, for the assertions.
    payload: serialize(r),
    timeMs: r.emittedMs,
  },
];

interface Rig {
  dir: string;
  clock: FakeClock;
  metrics: Metrics;
  store: StateStore;
  sink: MemorySink;
  outbox: Outbox;
  join: JoinStage;
  send(...events: PipelineEvent[]): Promise<void>;
  closeAll(): Promise<void>;
}

async function rig(over: Partial<JoinConfig> | Record<string, unknown> = {}, dir?: string, clock = new FakeClock()): Promise<Rig> {
  dir ??= mkdtempSync(pathJoin(tmpdir(), 'join-'));
  const config = joinConfigSchema.parse(over);
  const metrics = new Metrics();
  const ctx = { logger: silentLogger(), metrics, clock };
  const store = new StateStore(dir, { sync: false });
  await store.open();
  const sink = new MemorySink();
  const outbox = new Outbox(store, sink, ctx, { chunk: 100, maxBacklog: 10_000 });
  await outbox.init();
  const join = new JoinStage(config, store, outbox, decide, ctx, 'test');
  await join.init();
  return {
    dir,
    clock,
    metrics,
    store,
    sink,
    outbox,
    join,
    send: (...events) => join.accept(events.map((event) => ({ event, redaction: noRedaction }))),
    async closeAll() {
      clock.advance(config.window + 1);
      await join.sweep();
      await outbox.flush();
    },
  };
}

describe('join', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig({ window: '1h' });
  });
  afterEach(async () => {
    await r.store.close();
    rmSync(r.dir, { recursive: true, force: true });
  });

  test('feedback after its interaction: one final record carrying both', async () => {
    const i = interaction();
    await r.send(i);
    r.clock.advance(60_000);
    await r.send(feedback({ target: { requestId: i.requestId }, feedbackKind: 'thumbs', value: 0, reason: 'wrong' }));
    assert.equal(await r.join.sweep(), 0, 'nothing closes before the window ends');
    await r.closeAll();
    const out = records(r.sink.topic('labeled_interactions'));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.requestId, i.requestId);
    assert.equal(out[0]!.final, true);
    assert.equal(out[0]!.version, 1);
    assert.equal(out[0]!.interaction?.responseModel, 'gpt-4o-mini-2024-07-18');
    assert.deepEqual(out[0]!.feedback.filter((f) => f.source === 'user').map((f) => f.reason), ['wrong']);
    assert.equal(await r.metrics.value('feedback_loop_join_joined_total'), 1);
    assert.equal(r.join.open(), 0);
  });

  test('feedback before its interaction waits for it', async () => {
    const i = interaction();
    await r.send(feedback({ target: { requestId: i.requestId }, feedbackKind: 'rating', value: 2 }));
    r.clock.advance(10 * 60_000);
    await r.send(i);
    await r.closeAll();
    const out = records(r.sink.topic('labeled_interactions'));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.feedback[0]!.feedbackKind, 'rating');
    assert.equal(r.sink.topic('orphaned_feedback').length, 0);
  });

  test('feedback whose interaction never arrives is emitted as an orphan with its reason', async () => {
    await r.send(feedback({ target: { requestId: 'chatcmpl-never' } }));
    await r.closeAll();
    const out = records(r.sink.topic('orphaned_feedback'));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.interaction, undefined);
    assert.equal(out[0]!.requestId, 'chatcmpl-never');
    assert.match(out[0]!.orphanReason ?? '', /not received/);
    assert.equal(await r.metrics.value('feedback_loop_join_orphaned_total', { reason: 'no_interaction' }), 1);
  });

  test('many signals on one interaction are all carried, in time order', async () => {
    const i = interaction();
    await r.send(i);
    for (let k = 0; k < 5; k++) {
      await r.send(feedback({ target: { requestId: i.requestId }, observedTimeMs: 1000 + (5 - k), feedbackKind: 'rating', value: k }));
    }
    await r.closeAll();
    const [rec] = records(r.sink.topic('labeled_interactions'));
    const explicit = rec!.feedback.filter((f) => f.source === 'user');
    assert.deepEqual(explicit.map((f) => f.value), [4, 3, 2, 1, 0]);
  });

  test('span-context aliases: content logs and evaluations before and after the span join the request id', async () => {
    const i = interaction({ inputMessages: [], outputMessages: [], finishReasons: [] });
    const before = content({ span: i.span, timeMs: 1, inputMessages: [{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }] });
    const evalBefore = feedback({ target: { span: i.span }, feedbackKind: 'evaluation', name: 'relevance', value: 0.9, source: 'judge' });
    await r.send(before, evalBefore);
    await r.send(i);
    const after = content({
      span: i.span,
      timeMs: 2,
      outputMessages: [{ role: 'assistant', parts: [{ type: 'text', content: 'hello' }], finishReason: 'stop' }],
    });
    await r.send(after, feedback({ target: { span: i.span }, feedbackKind: 'thumbs', value: 1 }));
    await r.closeAll();
    const out = records(r.sink.topic('labeled_interactions'));
    assert.equal(out.length, 1, 'one record: the provisional span window was merged, not emitted');
    const rec = out[0]!;
    assert.equal(rec.requestId, i.requestId);
    assert.deepEqual(rec.interaction!.inputMessages.map((m) => m.role), ['user']);
    assert.deepEqual(rec.interaction!.outputMessages.map((m) => m.role), ['assistant']);
    assert.deepEqual(rec.interaction!.finishReasons, ['stop']);
    assert.deepEqual(rec.feedback.map((f) => f.feedbackKind).sort(), ['evaluation', 'thumbs']);
    assert.equal(r.sink.topic('orphaned_feedback').length, 0);
  });

  test('an interaction without a response id is keyed by its span context', async () => {
    const base = interaction();
    const i = interaction({ requestId: `${base.span.traceId}:${base.span.spanId}`, span: base.span });
    await r.send(feedback({ target: { span: i.span } }), i);
    await r.closeAll();
    const out = records(r.sink.topic('labeled_interactions'));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.feedback.length >= 1, true);
  });

  test('the same signal delivered twice counts once', async () => {
    const i = interaction();
    const f = feedback({ target: { requestId: i.requestId }, signalId: 'dup-1' });
    await r.send(i, f);
    await r.send(f, i);
    await r.closeAll();
    const [rec] = records(r.sink.topic('labeled_interactions'));
    assert.equal(rec!.feedback.filter((s) => s.signalId === 'dup-1').length, 1);
    assert.equal(await r.metrics.value('feedback_loop_join_duplicate_total', { kind: 'feedback' }), 1);
    assert.equal(await r.metrics.value('feedback_loop_join_duplicate_total', { kind: 'interaction' }), 1);
  });

  test('an idle stream still flushes: windows close on processing time', async () => {
    await r.send(interaction());
    r.clock.advance(HOUR - 1);
    assert.equal(await r.join.sweep(), 0);
    r.clock.advance(2);
    assert.equal(await r.join.sweep(), 1);
    await r.outbox.flush();
    assert.equal(r.sink.topic('labeled_interactions').length, 1);
  });

  test('windows also close on event time when the stream has moved past them', async () => {
    const old = interaction({ startTimeMs: r.clock.now() - 3 * HOUR, endTimeMs: r.clock.now() - 3 * HOUR });
    await r.send(old);
    // Newer events advance the watermark past the old window's event-time deadline.
    await r.send(interaction({ startTimeMs: r.clock.now(), endTimeMs: r.clock.now() }));
    assert.equal(await r.join.sweep(), 1, 'only the old window closes; no processing time has passed');
    await r.outbox.flush();
    assert.equal(records(r.sink.topic('labeled_interactions'))[0]!.requestId, old.requestId);
  });

  test('late feedback after the window closed is kept as an orphan marked late', async () => {
    const i = interaction();
    await r.send(i);
    await r.closeAll();
    await r.send(feedback({ target: { requestId: i.requestId } }));
    await r.outbox.flush();
    const late = records(r.sink.topic('orphaned_feedback'));
    assert.equal(late.length, 1);
    assert.match(late[0]!.orphanReason ?? '', /late/);
    assert.equal(await r.metrics.value('feedback_loop_join_late_total', { kind: 'feedback' }), 1);
    // A redelivered interaction after close is not joined twice.
    await r.send(i);
    await r.closeAll();
    assert.equal(r.sink.topic('labeled_interactions').length, 1);
  });

  test('feedback delivered again after its window closed is a duplicate, not late feedback (regression: redelivery after a crash orphaned it)', async () => {
    const i = interaction();
    const f = feedback({ target: { requestId: i.requestId } });
    await r.send(i, f);
    await r.closeAll();
    // A source re-reads what it had not committed when it died: the same interaction and signal again.
    await r.send(i, f);
    await r.closeAll();
    await r.outbox.flush();
    assert.equal(r.sink.topic('orphaned_feedback').length, 0, 'no late orphan for a signal the record already carries');
    assert.equal(r.sink.topic('labeled_interactions').length, 1);
    assert.equal(records(r.sink.topic('labeled_interactions'))[0]!.feedback.length, 1);
    assert.equal(await r.metrics.value('feedback_loop_join_duplicate_total', { kind: 'feedback' }), 1);
    assert.equal(await r.metrics.value('feedback_loop_join_late_total', { kind: 'feedback' }), 0);
    // A different signal after the close is still late feedback, kept as an orphan.
    await r.send(feedback({ target: { requestId: i.requestId } }));
    await r.outbox.flush();
    assert.equal(r.sink.topic('orphaned_feedback').length, 1);
  });

  test('a window touched late stays open for a full window after its last event (lazy re-indexing)', async () => {
    const i = interaction();
    await r.send(i);
    r.clock.advance(50 * 60_000);
    await r.send(feedback({ target: { requestId: i.requestId } }));
    r.clock.advance(20 * 60_000); // past the deadline the window was first indexed with
    assert.equal(await r.join.sweep(), 0, 'not due: its last event was 20 minutes ago');
    assert.equal(r.join.open(), 1);
    r.clock.advance(40 * 60_000 + 1);
    assert.equal(await r.join.sweep(), 1);
    await r.outbox.flush();
    assert.equal(r.sink.topic('labeled_interactions').length, 1);
  });

  test('a closed request id is forgotten after late_retention: later feedback opens a fresh window', async () => {
    const i = interaction();
    await r.send(i);
    await r.closeAll();
    r.clock.advance(24 * HOUR + 1); // default late_retention
    await r.join.sweep();
    await r.send(feedback({ target: { requestId: i.requestId } }));
    assert.equal(r.join.open(), 1, 'a new window, not a late orphan');
    await r.closeAll();
    const orphans = records(r.sink.topic('orphaned_feedback'));
    assert.equal(orphans.length, 1);
    assert.match(orphans[0]!.orphanReason ?? '', /not received/);
  });

  test('a record that cannot be encoded is dead-lettered, and the sweep carries on', async () => {
    const failing = await rig({ window: '1h' });
    try {
      (failing.join as unknown as { decide: Decide }).decide = (rec) => {
        if (rec.requestId === 'chatcmpl-bad') throw new Error('end_time is not finite');
        return decide(rec);
      };
      await failing.send(interaction({ requestId: 'chatcmpl-bad' }), interaction({ requestId: 'chatcmpl-good' }));
      await failing.closeAll();
      assert.equal(failing.sink.topic('labeled_interactions').length, 1);
      const dl = failing.sink.topic('dead_letters');
      assert.equal(dl.length, 1);
      assert.equal((decodeRecord('dead_letters', dl[0]!.payload) as { reason: string }).reason, 'decide_failed');
      assert.equal(failing.join.open(), 0);
    } finally {
      await failing.store.close();
      rmSync(failing.dir, { recursive: true, force: true });
    }
  });

  test('concurrent accepts are committed together and each resolves once durable', async () => {
    const ids = Array.from({ length: 20 }, () => interaction());
    await Promise.all(ids.map((i) => r.send(i, feedback({ target: { requestId: i.requestId } }))));
    assert.equal(r.join.open(), 20);
    const received = await r.metrics.value('feedback_loop_component_received_items_total', { component: 'join' });
    assert.equal(received, 40);
    await r.closeAll();
    assert.equal(records(r.sink.topic('labeled_interactions')).filter((x) => x.feedback.length === 1).length, 20);
  });

  test('state survives a restart: windows are on disk, not in the heap', async () => {
    const i = interaction();
    await r.send(i, feedback({ target: { requestId: i.requestId } }));
    await r.store.close();
    const again = await rig({ window: '1h' }, r.dir, r.clock);
    r = again;
    assert.equal(r.join.open(), 1);
    await r.closeAll();
    assert.equal(records(r.sink.topic('labeled_interactions')).length, 1);
  });
});

describe('join, sweeping past stale index entries', () => {
  test('a sweep whose first pass finds only stale entries still closes what is due behind them (regression)', async () => {
    // Content before its span makes a provisional window per span; when the
    // span arrives it is absorbed and its index entries go stale. With more
    // stale entries than one pass takes, a sweep used to report 0 and stop.
    const r = await rig({ window: '1h', max_windows_per_sweep: 5, implicit: { enabled: false } });
    try {
      const spans = Array.from({ length: 12 }, () => interaction());
      await r.send(...spans.map((i) => content({ span: i.span, inputMessages: [{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }] })));
      await r.send(...spans);
      assert.equal(r.join.open(), 12);
      r.clock.advance(3_600_001);
      assert.equal(await r.join.sweep(), 12);
      assert.equal(r.join.open(), 0);
      await r.outbox.flush();
      assert.equal(r.sink.topic('labeled_interactions').length, 12);
    } finally {
      await r.store.close();
      rmSync(r.dir, { recursive: true, force: true });
    }
  });
});

describe('join, window content stored apart from the window', () => {
  const MARK = 'zebra-marmalade-7731';
  const firstText = (rec: LabeledRecord | undefined): string | undefined => {
    const part = rec?.interaction?.inputMessages[0]?.parts[0];
    return part && 'content' in part ? part.content : undefined;
  };
  const withMark = (): ReturnType<typeof interaction> =>
    interaction({ inputMessages: [{ role: 'user', parts: [{ type: 'text', content: `${MARK} `.repeat(200) }] }] });

  test('content is written once under c!, kept out of the window value, and deleted with the window', async () => {
    const r = await rig({ window: '1h' });
    try {
      const i = withMark();
      const frag = content({ span: i.span, timeMs: 5, systemInstructions: [{ type: 'text', content: `${MARK} system` }] });
      await r.send(i, frag);
      for (let k = 0; k < 3; k++) await r.send(feedback({ target: { requestId: i.requestId }, feedbackKind: 'rating', value: k }));
      assert.equal(await r.store.count('c!'), 2, 'one entry for the interaction, one for the fragment');
      const stored = await r.store.range('w!', 'w!\xff', 10);
      assert.equal(stored.length, 1);
      assert.equal(stored[0]![1].includes(MARK), false, 'the window value (rewritten on every signal) does not carry the messages');
      await r.closeAll();
      const [rec] = records(r.sink.topic('labeled_interactions'));
      assert.equal(firstText(rec)?.startsWith(MARK), true);
      assert.deepEqual(rec!.interaction?.systemInstructions, frag.systemInstructions, 'the fragment fills what the span lacks');
      assert.equal(rec!.feedback.filter((f) => f.source === 'user').length, 3);
      assert.equal(await r.store.count('c!'), 0, 'nothing of the closed window is left behind');
    } finally {
      await r.store.close();
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  test('content of a provisional window moves with it when absorbed, and of a window that never got its interaction is deleted', async () => {
    const r = await rig({ window: '1h', implicit: { enabled: false } });
    try {
      const i = interaction({ inputMessages: [], outputMessages: [], finishReasons: [] });
      const lonely = interaction();
      await r.send(
        content({ span: i.span, timeMs: 1, inputMessages: [{ role: 'user', parts: [{ type: 'text', content: MARK }] }] }),
        content({ span: lonely.span, timeMs: 1, inputMessages: [{ role: 'user', parts: [{ type: 'text', content: 'never joined' }] }] }),
      );
      await r.send(i);
      assert.equal(await r.store.count('c!'), 3);
      await r.closeAll();
      const out = records(r.sink.topic('labeled_interactions'));
      assert.equal(out.length, 1);
      assert.equal(firstText(out[0]), MARK);
      assert.equal(await r.store.count('c!'), 0);
    } finally {
      await r.store.close();
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  test('a window stored before content was stored apart (content inline) takes new signals and closes to a record with its content', async () => {
    const r = await rig({ window: '1h', implicit: { enabled: false } });
    try {
      const i = withMark();
      const frag = content({ span: i.span, timeMs: 3, systemInstructions: [{ type: 'text', content: 'legacy system' }] });
      const old = {
        key: i.requestId,
        interaction: { ...i, systemInstructions: [] },
        fragments: [frag],
        feedback: [feedback({ target: { requestId: i.requestId }, signalId: 'old-1', value: 1 })],
        firstSeenMs: r.clock.now(),
        lastSeenMs: r.clock.now(),
        lastEventMs: i.endTimeMs,
        redaction: { policyVersion: 'test', entities: {}, keysRedacted: 0 },
        version: 0,
        deadlineMs: r.clock.now() + HOUR,
        eventDeadlineMs: i.endTimeMs + HOUR,
      };
      await r.store.write([
        { type: 'put', key: KEY.window(i.requestId), value: serialize(old) },
        { type: 'put', key: KEY.expiry(old.deadlineMs, i.requestId), value: Buffer.alloc(0) },
        { type: 'put', key: KEY.eventExpiry(old.eventDeadlineMs, i.requestId), value: Buffer.alloc(0) },
      ]);
      await r.send(frag, feedback({ target: { requestId: i.requestId }, signalId: 'new-1', value: 0 }));
      await r.send(i);
      await r.closeAll();
      const out = records(r.sink.topic('labeled_interactions'));
      assert.equal(out.length, 1);
      assert.equal(firstText(out[0])?.startsWith(MARK), true);
      assert.deepEqual(out[0]!.interaction?.systemInstructions, frag.systemInstructions, 'the inline fragment, once: its redelivery is a duplicate');
      assert.deepEqual(out[0]!.feedback.map((f) => f.signalId).sort(), ['new-1', 'old-1']);
      assert.equal(await r.metrics.value('feedback_loop_join_duplicate_total', { kind: 'interaction' }), 1);
      assert.equal(await r.store.count('c!'), 0);
    } finally {
      await r.store.close();
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  test('absorb hands back the stored content of fragments the window already has', () => {
    const into = newWindow('req', 0, 'v');
    const from = newWindow('t:s', 0, 'v');
    addFragment(into, { sequence: 1, timeMs: 5, ref: 'c!req!f1.5' });
    addFragment(from, { sequence: 1, timeMs: 5, ref: 'c!t:s!f1.5' });
    addFragment(from, { sequence: 2, timeMs: 6, ref: 'c!t:s!f2.6' });
    const { duplicates, orphaned } = absorb(into, from);
    assert.equal(duplicates, 1);
    assert.deepEqual(orphaned, ['c!t:s!f1.5']);
    assert.deepEqual(contentRefs(into), ['c!req!f1.5', 'c!t:s!f2.6']);
  });
});

describe('join, tombstone expiry', () => {
  test('a sweep pass reads the due tombstones once (regression: the close-path split read them twice per pass)', async () => {
    const r = await rig({ window: '1h', late_retention: '1h' });
    try {
      await r.send(interaction(), interaction());
      await r.closeAll();
      const scans: string[] = [];
      const keys = r.store.keys.bind(r.store);
      r.store.keys = (gte, lt, limit) => {
        scans.push(gte);
        return keys(gte, lt, limit);
      };
      r.clock.advance(HOUR + 1);
      await r.join.sweep();
      assert.equal(scans.filter((k) => k === 'y!').length, 1);
      assert.equal(await r.store.count('w!'), 0, 'the tombstones expired');
    } finally {
      await r.store.close();
      rmSync(r.dir, { recursive: true, force: true });
    }
  });
});

describe('join, eager mode', () => {
  test('a record on the first explicit feedback, then updates, then the final one, versioned', async () => {
    const r = await rig({ window: '1h', mode: 'eager' });
    try {
      const i = interaction();
      await r.send(i);
      await r.outbox.flush();
      assert.equal(r.sink.entries.length, 0, 'no feedback yet: nothing early');
      await r.send(feedback({ target: { requestId: i.requestId }, feedbackKind: 'thumbs', value: 0 }));
      await r.outbox.flush();
      let out = records(r.sink.topic('labeled_interactions'));
      assert.deepEqual(out.map((x) => [x.version, x.final]), [[1, false]]);
      assert.deepEqual(out[0]!.interaction?.inputMessages, i.inputMessages, 'the early record carries the content stored by an earlier batch');
      await r.send(feedback({ target: { requestId: i.requestId }, feedbackKind: 'correction', text: 'Use the reset link.' }));
      await r.closeAll();
      out = records(r.sink.topic('labeled_interactions'));
      assert.deepEqual(out.map((x) => [x.version, x.final]), [[1, false], [2, false], [3, true]]);
      assert.equal(new Set(out.map((x) => x.recordId)).size, 3, 'each version has its own record id');
    } finally {
      await r.store.close();
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  test('feedback before the interaction emits when the interaction arrives', async () => {
    const r = await rig({ window: '1h', mode: 'eager' });
    try {
      const i = interaction();
      await r.send(feedback({ target: { requestId: i.requestId } }));
      await r.send(i);
      await r.outbox.flush();
      const out = records(r.sink.topic('labeled_interactions'));
      assert.deepEqual(out.map((x) => x.version), [1]);
      assert.deepEqual(out[0]!.interaction?.outputMessages, i.outputMessages, 'content from the same batch, not yet on disk, is in the record');
    } finally {
      await r.store.close();
      rmSync(r.dir, { recursive: true, force: true });
    }
  });
});

describe('implicit signals', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig({ window: '1h', implicit: { retry_window: '5m', retry_similarity: 0.5 } });
  });
  afterEach(async () => {
    await r.store.close();
    rmSync(r.dir, { recursive: true, force: true });
  });

  const ask = (text: string, startTimeMs: number, sessionId = 'sess-1') =>
    interaction({ sessionId, startTimeMs, endTimeMs: startTimeMs + 500, inputMessages: [{ role: 'user', parts: [{ type: 'text', content: text }] }] });

  test('a reformulated prompt soon after is a retry of the previous interaction', async () => {
    const t = r.clock.now();
    const first = ask('How do I reset my account password?', t);
    const second = ask('how can I reset my account password', t + 30_000);
    await r.send(first);
    await r.send(second);
    await r.closeAll();
    const byId = new Map(records(r.sink.topic('labeled_interactions')).map((x) => [x.requestId, x]));
    const retry = byId.get(first.requestId)!.feedback.find((f) => f.name === 'reformulation');
    assert.ok(retry, 'the first interaction carries a retry signal');
    assert.equal(retry.source, 'implicit');
    assert.ok(retry.value! >= 0.5);
    assert.equal(byId.get(second.requestId)!.feedback.some((f) => f.name === 'reformulation'), false);
  });

  test('a different question means the user moved on; the last one of a quiet session is abandoned', async () => {
    const t = r.clock.now();
    const first = ask('How do I reset my account password?', t);
    const second = ask('What are your opening hours on Sunday?', t + 60_000);
    await r.send(first, second);
    await r.closeAll();
    const byId = new Map(records(r.sink.topic('labeled_interactions')).map((x) => [x.requestId, x]));
    assert.ok(byId.get(first.requestId)!.feedback.some((f) => f.name === 'moved_on'));
    assert.ok(byId.get(second.requestId)!.feedback.some((f) => f.name === 'abandonment'));
    assert.equal(byId.get(first.requestId)!.feedback.some((f) => f.name === 'abandonment'), false);
  });

  test('no retry signal outside the retry window', async () => {
    const t = r.clock.now();
    await r.send(ask('reset my password please', t), ask('reset my password please!', t + 10 * 60_000));
    await r.closeAll();
    const all = records(r.sink.topic('labeled_interactions')).flatMap((x) => x.feedback);
    assert.equal(all.some((f) => f.name === 'reformulation'), false);
  });

  test('an edit yields the normalized edit distance between output and final text', async () => {
    const i = interaction({ outputMessages: [{ role: 'assistant', parts: [{ type: 'text', content: 'Open settings and choose reset.' }] }] });
    await r.send(i, feedback({ target: { requestId: i.requestId }, feedbackKind: 'edit', text: 'Open settings, then choose reset.' }));
    await r.closeAll();
    const [rec] = records(r.sink.topic('labeled_interactions'));
    const d = rec!.feedback.find((f) => f.name === 'edit_distance');
    assert.ok(d);
    // Word level: "settings" → "settings," and "and" → "then": 2 of 5 words rewritten.
    assert.equal(d.value, 0.4);
    assert.equal(rec!.feedback.some((f) => f.name === 'abandonment'), false, 'an edit is a terminal signal');
  });
});
