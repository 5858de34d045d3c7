import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox } from '../../src/pipeline/outbox';
import { decodeEntry, encodeEntry, isFramedEntry } from '../../src/pipeline/outbox-codec';
import { KEY, StateStore, encode, type Batch } from '../../src/stages/join/store';
import type { OutboxEntry, Sink } from '../../src/pipeline/contracts';
import { decodeRecord, encodeRecord, labeledRecordToAvro } from '../../src/sinks/avro';
import { FakeClock, Metrics, silentLogger } from '../../src/telemetry';
import { MemorySink } from '../helpers/memory-sink';
import { plain } from '../sinks/avro/helpers';
import * as fx from '../fixtures/avro/records';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('outbox', () => {
  it('drains entries older versions stored V8-serialized: objects encoded on the way out (or dead-lettered if they no longer validate), payloads as they are', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    dirs.push(dir);
    const store = new StateStore(dir, { sync: false });
    await store.open();
    const value = labeledRecordToAvro(fx.fullLabeledRecord());
    // What 0.1 wrote: the record as an object under `value`, no payload.
    await store.write([
      { type: 'put', key: KEY.outbox(1), value: encode({ seq: 1, topic: 'labeled_interactions', key: 'req-1', recordId: 'rec-1', value, timeMs: 5 }) },
      { type: 'put', key: KEY.outbox(2), value: encode({ seq: 2, topic: 'labeled_interactions', key: 'req-2', recordId: 'rec-2', value: { request_id: 7 }, timeMs: 6 }) },
      { type: 'put', key: KEY.outbox(3), value: encode({ seq: 3, topic: 'labeled_interactions', key: 'req-3', recordId: 'rec-3', payload: encodeRecord('labeled_interactions', value), timeMs: 7 }) },
      { type: 'put', key: KEY.meta('seq'), value: encode(3) },
    ]);
    const sink = new MemorySink();
    const outbox = new Outbox(store, sink, { logger: silentLogger(), metrics: new Metrics(), clock: new FakeClock(0) }, { chunk: 10, maxBacklog: 100 });
    await outbox.init();
    await outbox.flush();
    assert.deepEqual(sink.entries.map((e) => [e.seq, e.topic]), [[1, 'labeled_interactions'], [2, 'dead_letters'], [3, 'labeled_interactions']]);
    assert.deepEqual(plain(decodeRecord('labeled_interactions', sink.entries[2]!.payload)), plain(value));
    assert.deepEqual(plain(decodeRecord('labeled_interactions', sink.entries[0]!.payload)), plain(value));
    const dl = decodeRecord('dead_letters', sink.entries[1]!.payload) as { reason: string; detail: string };
    assert.equal(dl.reason, 'outbox_upgrade_failed');
    assert.match(dl.detail, /rec-2/);
    assert.deepEqual(await store.keys('o!', 'o!\xff', 10), [], 'pruned once the sink holds them');
    await store.close();
  });
});

/** A sink that takes nothing for granted: every write must continue the seq order exactly, with no entry twice. */
class StrictSink implements Sink {
  readonly name = 'strict';
  readonly seqs: number[] = [];
  failing = false;
  /** Milliseconds each write takes (0: a macrotask). */
  delayMs = 0;
  private durable = 0;
  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
  async write(entries: OutboxEntry[]): Promise<void> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failing) throw new Error('sink down');
    for (const e of entries) {
      const last = this.seqs[this.seqs.length - 1] ?? 0;
      if (e.seq <= last) throw new Error(`seq ${e.seq} handed after ${last}`);
      this.seqs.push(e.seq);
    }
    this.durable = this.seqs[this.seqs.length - 1] ?? 0;
  }
  durableSeq(): number {
    return this.durable;
  }
  async flush(): Promise<void> {}
  ready(): boolean {
    return true;
  }
}

const ctx = () => ({ logger: silentLogger(), metrics: new Metrics(), clock: new FakeClock(0) });
const draft = (n: number) => ({ topic: 'dead_letters' as const, key: `k${n}`, recordId: `r${n}`, payload: Buffer.alloc(100, n % 256), timeMs: n });

async function openStore(): Promise<StateStore> {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
  dirs.push(dir);
  const store = new StateStore(dir, { sync: false });
  await store.open();
  return store;
}

/** Stages `n` drafts in one batch inside a store section and writes it (or abandons it, as a failed write would). */
function section(store: StateStore, outbox: Outbox, n: number, write = true): Promise<OutboxEntry[]> {
  return store.exclusive(async () => {
    const batch: Batch = [];
    const entries = outbox.stage(Array.from({ length: n }, (_, i) => draft(i)), batch);
    if (!write) return [];
    await store.write(batch);
    outbox.notify();
    return entries;
  });
}

describe('outbox delivery', () => {
  it('deletes what the sink holds, scanning from where the last prune stopped (not over the tombstones of every entry deleted before)', async () => {
    const store = await openStore();
    const sink = new StrictSink();
    const outbox = new Outbox(store, sink, ctx(), { chunk: 4, maxBacklog: 100 });
    await outbox.init();
    const scans: string[] = [];
    const keys = store.keys.bind(store);
    store.keys = (gte, lt, limit) => {
      if (gte.startsWith('o!')) scans.push(gte);
      return keys(gte, lt, limit);
    };
    await section(store, outbox, 3);
    await outbox.flush();
    await section(store, outbox, 6);
    await outbox.flush();
    assert.deepEqual(sink.seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(await keys('o!', 'o!\xff', 100), [], 'pruned once the sink holds them');
    assert.ok(scans.length >= 2);
    assert.equal(scans[0], 'o!', 'the first prune after a start does not know where the outbox begins');
    assert.ok(scans.includes(KEY.outbox(4)), `a later prune starts after seq 3: ${scans.join(', ')}`);
    await store.close();
  });

  it('hands over what was in the store before a restart, then what is written since', async () => {
    const store = await openStore();
    const first = new Outbox(store, new StrictSink(), ctx(), { chunk: 4, maxBacklog: 100 });
    await first.init();
    // Written, never handed: the process "died" with the sink down.
    await store.exclusive(async () => {
      const batch: Batch = [];
      first.stage([draft(1), draft(2), draft(3), draft(4), draft(5)], batch);
      await store.write(batch);
    });
    const sink = new StrictSink();
    const outbox = new Outbox(store, sink, ctx(), { chunk: 2, maxBacklog: 100 });
    await outbox.init();
    await section(store, outbox, 2);
    await outbox.flush();
    assert.deepEqual(sink.seqs, [1, 2, 3, 4, 5, 6, 7]);
    await store.close();
  });

  it('skips the seqs of a batch that was never written', async () => {
    const store = await openStore();
    const sink = new StrictSink();
    const outbox = new Outbox(store, sink, ctx(), { chunk: 10, maxBacklog: 100 });
    await outbox.init();
    await section(store, outbox, 2);
    await section(store, outbox, 2, false);
    await section(store, outbox, 2);
    await outbox.flush();
    assert.deepEqual(sink.seqs, [1, 2, 5, 6]);
    await store.close();
  });

  it('keeps order and loses nothing when the sink fails and sections race the drain', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 6; round++) {
      const store = await openStore();
      const sink = new StrictSink();
      const outbox = new Outbox(store, sink, ctx(), { chunk: 1 + Math.floor(rand() * 5), maxBacklog: 1e9 });
      await outbox.init();
      const write = sink.write.bind(sink);
      let failures = 0;
      sink.write = (entries) => write(entries).catch((err: unknown) => {
        failures++;
        throw err;
      });
      const written: Array<Promise<OutboxEntry[]>> = [];
      for (let step = 0; step < 150; step++) {
        const r = rand();
        if (r < 0.1) sink.failing = !sink.failing;
        else if (r < 0.2) sink.delayMs = Math.floor(rand() * 3);
        else if (r < 0.3) await new Promise((res) => setTimeout(res, Math.floor(rand() * 3)));
        else written.push(section(store, outbox, 1 + Math.floor(rand() * 4), rand() > 0.25));
        if (rand() < 0.2) outbox.notify();
      }
      const committed = (await Promise.all(written)).flat().map((e) => e.seq);
      sink.failing = false;
      await outbox.flush();
      assert.deepEqual(sink.seqs, committed, `round ${round}`);
      assert.ok(failures > 0, `round ${round} went through sink failures`);
      assert.deepEqual(await store.keys('o!', 'o!\xff', 10), [], `round ${round}: pruned`);
      await store.close();
    }
  });
});

describe('outbox entry frame', () => {
  it('round-trips every field, with multi-byte keys and an empty payload', () => {
    for (const e of [
      { seq: 1, topic: 'labeled_interactions' as const, key: 'chatcmpl-1', recordId: 'r1', payload: Buffer.from([1, 2, 3, 0, 255]), timeMs: 1_790_000_000_123 },
      { seq: 2 ** 40 + 3, topic: 'dead_letters' as const, key: 'schlüssel-🔑', recordId: 'ид-2', payload: Buffer.alloc(0), timeMs: 0 },
      { seq: 7, topic: 'orphaned_feedback' as const, key: '', recordId: 'x'.repeat(70_000), payload: Buffer.alloc(100_000, 7), timeMs: -1 },
    ]) {
      const buf = encodeEntry(e);
      assert.ok(isFramedEntry(buf));
      assert.deepEqual({ ...decodeEntry(buf), payload: Buffer.from(decodeEntry(buf).payload) }, e);
    }
  });

  it('is told apart from V8-serialized entries of older versions', () => {
    assert.equal(isFramedEntry(encode({ seq: 1, topic: 'dead_letters', key: 'k', recordId: 'r', payload: Buffer.from('x'), timeMs: 1 })), false);
  });
});
