import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { ChangeLoggingStore } from '../../src/scaleout/changelog-store';
import { TransactionSink } from '../../src/scaleout/outputs';
import { JoinStage, type Decide } from '../../src/stages/join/join';
import { StateStore, type Batch } from '../../src/stages/join/store';
import { Outbox } from '../../src/pipeline/outbox';
import { joinConfigSchema } from '../../src/stages/join/config';
import { FakeClock, Metrics, silentLogger } from '../../src/telemetry';
import { content, feedback, interaction, noRedaction } from '../helpers/events';

const b = (s: string) => Buffer.from(s);

async function dump(store: StateStore): Promise<Array<[string, string]>> {
  return (await store.range('', '\uffff', 1e9)).map(([k, v]) => [k, v.toString('base64')]);
}

test('changes are kept per key, last write wins; outbox entries born and deleted between commits vanish', async () => {
  const dir = mkdtempSync(pathJoin(tmpdir(), 'cl-'));
  const store = new ChangeLoggingStore(dir, { sync: false });
  await store.open();
  try {
    await store.write([{ type: 'put', key: 'w!a', value: b('1') }, { type: 'put', key: 'o!0001', value: b('rec') }]);
    await store.write([{ type: 'put', key: 'w!a', value: b('2') }, { type: 'del', key: 'w!gone' }, { type: 'del', key: 'o!0001' }]);
    assert.equal(store.pendingChanges(), 2);
    const changes = store.take();
    assert.deepEqual([...changes].map(([k, v]) => [k, v?.toString() ?? null]), [
      ['w!a', '2'],
      ['w!gone', null],
    ]);
    assert.equal(store.pendingChanges(), 0, 'take() forgets');
    // An outbox key that existed before the last take is deleted for real.
    await store.write([{ type: 'put', key: 'o!0002', value: b('x') }]);
    store.take();
    await store.write([{ type: 'del', key: 'o!0002' }]);
    assert.deepEqual([...store.take()], [['o!0002', null]]);
    // Restored records are not changes.
    await store.applyRestored([{ type: 'put', key: 'w!r', value: b('r') }]);
    assert.equal(store.pendingChanges(), 0);
    assert.deepEqual((await store.range('w!r', 'w!s', 1)).map(([k, v]) => [k, v.toString()]), [['w!r', 'r']]);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a store rebuilt from the recorded changes alone equals the store the join wrote', async () => {
  const dir = mkdtempSync(pathJoin(tmpdir(), 'cl-'));
  const copyDir = mkdtempSync(pathJoin(tmpdir(), 'cl-copy-'));
  const clock = new FakeClock();
  const ctx = { logger: silentLogger(), metrics: new Metrics(), clock };
  const config = joinConfigSchema.parse({ window: '10s', late_retention: '20s' });
  const store = new ChangeLoggingStore(dir, { sync: false });
  const copy = new ChangeLoggingStore(copyDir, { sync: false });
  await store.open();
  await copy.open();
  const sink = new TransactionSink(0);
  const outbox = new Outbox(store, sink, ctx, { chunk: 100, maxBacklog: 1e6 });
  await outbox.init();
  const decide: Decide = (r) => [{ topic: 'labeled_interactions', key: r.requestId, recordId: r.recordId, payload: Buffer.from(r.requestId), timeMs: r.emittedMs }];
  const join = new JoinStage(config, store, outbox, decide, ctx, 'test');
  await join.init();
  const replay = async (): Promise<void> => {
    await outbox.flush();
    const batch: Batch = [...store.take()].map(([key, value]) => (value === null ? { type: 'del', key } : { type: 'put', key, value }));
    await copy.applyRestored(batch);
  };
  try {
    const events = [];
    for (let n = 0; n < 30; n++) {
      const i = interaction({ requestId: `req-${n}`, span: { traceId: `t${n}`, spanId: `s${n}` }, sessionId: `sess-${n % 4}` });
      events.push(i, content({ span: i.span }), feedback({ target: { requestId: i.requestId } }));
    }
    for (let k = 0; k < events.length; k += 7) {
      await join.accept(events.slice(k, k + 7).map((event) => ({ event, redaction: noRedaction })));
      if (k % 21 === 0) await replay();
    }
    await replay();
    assert.deepEqual(await dump(copy), await dump(store), 'after accepts');
    clock.advance(11_000);
    assert.equal(await join.sweep(), 30);
    await replay();
    assert.equal(sink.takePending().length, 30, 'the closes reached the transaction sink');
    assert.deepEqual(await dump(copy), await dump(store), 'after the sweep (tombstones, outbox pruned)');
    assert.equal((await store.keys('o!', 'o!\xff', 10)).length, 0, 'no outbox entries left behind');
    clock.advance(21_000);
    await join.sweep();
    await replay();
    assert.deepEqual(await dump(copy), await dump(store), 'after tombstones expired');
  } finally {
    await store.close();
    await copy.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(copyDir, { recursive: true, force: true });
  }
});

test('the transaction sink skips what an earlier transaction delivered', async () => {
  const sink = new TransactionSink(5);
  const entry = (seq: number) => ({ seq, topic: 'labeled_interactions' as const, key: 'k', recordId: `r${seq}`, payload: Buffer.alloc(0), timeMs: 0 });
  await sink.write([entry(4), entry(5), entry(6), entry(7)]);
  assert.deepEqual(sink.takePending().map((e) => e.seq), [6, 7]);
  assert.equal(sink.durableSeq(), 7);
  assert.deepEqual(sink.takePending(), []);
});
