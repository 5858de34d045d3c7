import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createDecider, type DeciderConfig } from '../../src/stages/sample';
import { labelConfigSchema } from '../../src/stages/label';
import { sampleConfigSchema, type SampleConfigInput } from '../../src/stages/sample/config';
import { DecideThread, packOutcomes, unpackOutcomes } from '../../src/pipeline/decide-thread';
import { decideEach, type DecideOutcome } from '../../src/stages/join/join';
import type { OutboxDraft } from '../../src/pipeline/outbox';
import type { LabeledRecord } from '../../src/model';
import { FakeClock, Metrics, silentLogger } from '../../src/telemetry';
import { feedback, interaction } from '../helpers/events';
import { record } from '../stages/label/record';

const config = (sample: SampleConfigInput = {}): DeciderConfig => ({ label: labelConfigSchema.parse({}), sample: sampleConfigSchema.parse(sample) });

/** Negative records with feedback (they go to all three routes), `ms` apart in emit time. */
function records(n: number, from = Date.UTC(2026, 0, 2), ms = 0, prefix = 'r'): LabeledRecord[] {
  return Array.from({ length: n }, (_, k) => {
    const i = interaction({ requestId: `${prefix}-${k}`, conversationId: `conv-${k}` });
    return record(i, [feedback({ value: 0, reason: 'wrong', target: { requestId: i.requestId }, signalId: `s-${prefix}-${k}` })], { emittedMs: from + k * ms });
  });
}

/** What the join keeps of an outcome: topics, ids, keys, times and payload bytes. */
function view(outcomes: DecideOutcome[]): unknown[] {
  return outcomes.map((o) =>
    Array.isArray(o) ? o.map((d: OutboxDraft) => ({ topic: d.topic, key: d.key, recordId: d.recordId, timeMs: d.timeMs, payload: Buffer.from(d.payload).toString('base64') })) : o,
  );
}

/** The same records decided in this thread, on a clock that reads each record's emit time. */
function inProcess(cfg: DeciderConfig, rs: LabeledRecord[]): DecideOutcome[] {
  const clock = new FakeClock(0);
  const d = createDecider(cfg, { logger: silentLogger(), metrics: new Metrics(), clock });
  return decideEach((r) => {
    clock.set(r.emittedMs);
    return d.decide(r);
  })(rs) as DecideOutcome[];
}

describe('decide thread', () => {
  test('packing keeps every draft, its bytes and which record it belongs to', () => {
    const draft = (recordId: string, bytes: string): OutboxDraft => ({ topic: 'labeled_interactions', key: 'k', recordId, payload: Buffer.from(bytes), timeMs: 5 });
    const outcomes: DecideOutcome[] = [[draft('a', 'one'), draft('b', '')], { error: 'bad' }, [], [draft('c', 'three')]];
    const { packed, transfer } = packOutcomes(outcomes);
    assert.equal(transfer.length, 1);
    assert.equal(packed.payloads.byteLength, 'one'.length + 'three'.length);
    assert.deepEqual(view(unpackOutcomes(structuredClone(packed, { transfer }))), view(outcomes));
  });

  test('decides exactly as in-process: same drafts, same bytes, budgets timed by each record', async () => {
    // A budget of 2 an hour with burst 2 and records a minute apart: which records get a task depends on time.
    const cfg = config({ routes: { annotation_tasks: { max_per_hour: 60, burst: 2, dedupe: { enabled: false } } } });
    const rs = records(12, Date.UTC(2026, 0, 2), 20_000);
    const thread = new DecideThread(cfg, silentLogger(), new FakeClock(0));
    try {
      const got = await thread.decide(structuredClone(rs.slice(0, 5)));
      got.push(...(await thread.decide(structuredClone(rs.slice(5)))));
      const want = inProcess(cfg, structuredClone(rs));
      assert.deepEqual(view(got), view(want));
      const tasks = got.filter((o) => Array.isArray(o) && o.some((d) => d.topic === 'annotation_tasks')).length;
      assert.ok(tasks > 2 && tasks < 12, `the budget let ${tasks} of 12 through`);
    } finally {
      await thread.shutdown();
    }
  });

  test('a record that cannot be encoded comes back as an error; the others are decided', async () => {
    const thread = new DecideThread(config(), silentLogger(), new FakeClock(0));
    try {
      const rs = records(3);
      rs[1]!.interaction!.endTimeMs = Number.NaN;
      const got = await thread.decide(rs);
      assert.ok(Array.isArray(got[0]) && got[0].length > 0);
      assert.match((got[1] as { error: string }).error, /end_time/);
      assert.ok(Array.isArray(got[2]) && got[2].length > 0);
    } finally {
      await thread.shutdown();
    }
  });

  test('a new config applies to the batches after it', async () => {
    // Near-duplicate suppression off: these records share one prompt.
    const thread = new DecideThread(config({ routes: { annotation_tasks: { dedupe: { enabled: false } } } }), silentLogger(), new FakeClock(0));
    try {
      const before = await thread.decide(records(2, undefined, 0, 'a'));
      assert.ok(before.every((o) => Array.isArray(o) && o.some((d) => d.topic === 'annotation_tasks')));
      await thread.setConfig(config({ routes: { annotation_tasks: { enabled: false } } }));
      const after = await thread.decide(records(2, undefined, 0, 'b'));
      assert.ok(after.every((o) => Array.isArray(o) && o.length > 0 && !o.some((d) => d.topic === 'annotation_tasks')));
    } finally {
      await thread.shutdown();
    }
  });

  test("its sampling counters are served with the service's metrics", async () => {
    const metrics = new Metrics();
    metrics.component('join').received(4);
    const thread = new DecideThread(config(), silentLogger(), new FakeClock(0));
    metrics.addRemote(() => thread.metrics());
    try {
      await thread.decide(records(3));
      const text = await metrics.render();
      assert.match(text, /feedback_loop_sample_kept_total\{route="labeled_interactions",policy="all"\} 3/);
      assert.match(text, /feedback_loop_component_received_items_total\{component="join"\} 4/);
    } finally {
      await thread.shutdown();
    }
  });

  test('a thread that dies fails the batch in flight; the next batch gets a new thread', async () => {
    const thread = new DecideThread(config(), silentLogger(), new FakeClock(0));
    try {
      await thread.decide(records(1));
      const inFlight = thread.decide(records(200, undefined, 0, 'x'));
      await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      await assert.rejects(inFlight, /decide thread stopped/);
      const again = await thread.decide(records(2, undefined, 0, 'y'));
      assert.equal(again.length, 2);
      assert.ok(again.every((o) => Array.isArray(o) && o.length > 0));
    } finally {
      await thread.shutdown();
    }
    await assert.rejects(thread.decide(records(1)), /stopped/);
  });
});
