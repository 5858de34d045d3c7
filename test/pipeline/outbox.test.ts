import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox } from '../../src/pipeline/outbox';
import { decodeEntry, encodeEntry, isFramedEntry } from '../../src/pipeline/outbox-codec';
import { KEY, StateStore, encode } from '../../src/stages/join/store';
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
