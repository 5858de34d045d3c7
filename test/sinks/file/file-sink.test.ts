import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOPICS, type Topic } from '../../../src/pipeline/contracts';
import { RetryableError } from '../../../src/pipeline/errors';
import { loadSchemas } from '../../../src/sinks/avro';
import { FileSink, fileSinkFactory } from '../../../src/sinks/file';
import {
  HOUR,
  T0,
  config,
  context,
  entry,
  idOf,
  listFiles,
  partitionDir,
  rangeOf,
  readAll,
  removeTempDirs,
  tempDir,
  type TestEntry,
} from './helpers';

const schemas = loadSchemas();
after(removeTempDirs);

describe('file sink: layout and contents', () => {
  it('writes every topic into <topic>/dt=…/hour=… container files a separate reader decodes field by field', async () => {
    const dir = tempDir();
    const ctx = context();
    const sink = fileSinkFactory.create(config(dir), ctx);
    await sink.start();
    assert.equal(sink.ready(), true);
    const hours = [T0 + 5 * 60_000, T0 + HOUR + 1, T0 + 23 * HOUR + 59 * 60_000]; // last one is the next UTC day
    const entries: TestEntry[] = [];
    let seq = 1;
    for (const t of hours) for (const topic of TOPICS) entries.push(entry(seq++, topic, t), entry(seq++, topic, t));
    await sink.write(entries.slice(0, 10));
    await sink.write(entries.slice(10));
    assert.equal(sink.durableSeq(), 0, 'nothing is durable while the files are open');
    await sink.shutdown();
    assert.equal(sink.durableSeq(), entries.length);
    assert.equal(sink.ready(), false);

    const files = await readAll(dir);
    assert.equal(listFiles(dir).filter((p) => p.endsWith('.tmp')).length, 0);
    assert.equal(files.length, hours.length * TOPICS.length, 'one file per topic and hour');
    const byId = new Map(entries.map((e) => [e.recordId, e]));
    let seen = 0;
    for (const f of files) {
      assert.equal(f.codec, 'deflate');
      const [first, last] = rangeOf(f.path);
      for (const r of f.records) {
        const topic = f.path.split('/')[0] as Topic;
        const e = byId.get(idOf(topic, r))!;
        assert.ok(e, `unexpected record in ${f.path}`);
        assert.equal(e.topic, topic);
        assert.equal(f.path.slice(0, f.path.lastIndexOf('/')), partitionDir(e.topic, e.timeMs));
        assert.ok(e.seq >= first && e.seq <= last, `${e.seq} outside ${f.path}`);
        assert.deepEqual(r, e.value); // every field, nested ones included
        seen++;
      }
      // The header carries the .avsc as written, docs included, for readers without the repo.
      const topic = f.path.split('/')[0] as Topic;
      assert.deepEqual(f.schema, JSON.parse(schemas[topic].schemaJson));
    }
    assert.equal(seen, entries.length);
    assert.ok(listFiles(dir).includes(`dead_letters/dt=2026-03-15/hour=08/part-${'0'.repeat(18)}29-${'0'.repeat(18)}30.avro`));
  });

  it('writes the null codec when configured', async () => {
    const dir = tempDir();
    const sink = new FileSink(config(dir, { codec: 'null' }), context());
    await sink.start();
    await sink.write([entry(1, 'labeled_interactions', T0)]);
    await sink.flush();
    const [f] = await readAll(dir);
    assert.equal(f!.codec, 'null');
    assert.equal(f!.records.length, 1);
    await sink.shutdown();
  });

  it('zero-pads sequence numbers so names sort in sequence order', async () => {
    const dir = tempDir();
    const sink = new FileSink(config(dir, { codec: 'null' }), context());
    await sink.start();
    await sink.write([entry(9, 'dead_letters', T0)]);
    await sink.flush();
    await sink.write([entry(10, 'dead_letters', T0), entry(123456789, 'dead_letters', T0)]);
    await sink.shutdown();
    const names = listFiles(dir);
    assert.deepEqual(names, [...names].sort());
    assert.deepEqual(names.map(rangeOf), [[9, 9], [10, 123456789]]);
  });
});

describe('file sink: rolling', () => {
  it('rolls by size: files end near roll_bytes and durableSeq follows the finished ones', async () => {
    const dir = tempDir();
    const rollBytes = 32 * 1024;
    const sink = new FileSink(config(dir, { codec: 'null', roll_bytes: rollBytes }), context());
    await sink.start();
    const entries = Array.from({ length: 100 }, (_, i) => entry(i + 1, 'labeled_interactions', T0));
    for (let i = 0; i < entries.length; i += 10) await sink.write(entries.slice(i, i + 10));
    const finishedBeforeShutdown = listFiles(dir).filter((p) => p.endsWith('.avro')).map(rangeOf);
    assert.ok(finishedBeforeShutdown.length >= 2, 'several files finished by size');
    const lastFinished = Math.max(...finishedBeforeShutdown.map(([, l]) => l));
    assert.equal(sink.durableSeq(), lastFinished, 'durable up to the last finished file; the open one follows');
    const oneRecord = entries[0]!.payload.length;
    for (const p of listFiles(dir).filter((x) => x.endsWith('.avro'))) {
      const size = statSync(join(dir, p)).size;
      // A file closes once it reaches roll_bytes, at the latest when the write batch that crossed it ends:
      // it can pass the limit by one batch (10 records here) and the block still being filled (roll_bytes / 4).
      assert.ok(size >= rollBytes && size <= rollBytes + 10 * oneRecord + rollBytes / 4, `${p}: ${size} bytes`);
    }
    await sink.shutdown();
    const ranges = listFiles(dir).map(rangeOf);
    // Consecutive, non-overlapping ranges covering every entry.
    assert.equal(ranges[0]![0], 1);
    assert.equal(ranges.at(-1)![1], 100);
    for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i]![0], ranges[i - 1]![1] + 1);
    const total = (await readAll(dir)).reduce((n, f) => n + f.records.length, 0);
    assert.equal(total, 100);
  });

  it('rolls by age on the injected clock, when checked and on the next write', async () => {
    const dir = tempDir();
    const ctx = context();
    const sink = new FileSink(config(dir, { roll_interval: '60s' }), ctx);
    await sink.start();
    await sink.write([entry(1, 'annotation_tasks', T0), entry(2, 'training_examples', T0)]);
    ctx.clock.advance(59_999);
    await sink.rollExpired();
    assert.equal(sink.durableSeq(), 0);
    assert.equal(listFiles(dir).filter((p) => p.endsWith('.tmp')).length, 2);
    ctx.clock.advance(1);
    await sink.rollExpired();
    assert.equal(sink.durableSeq(), 2);
    assert.deepEqual(listFiles(dir).map(rangeOf), [[1, 1], [2, 2]]);

    await sink.write([entry(3, 'annotation_tasks', T0)]);
    ctx.clock.advance(60_000);
    await sink.write([entry(4, 'annotation_tasks', T0)]); // the write itself sees the file is due
    assert.equal(sink.durableSeq(), 4);
    assert.deepEqual(listFiles(dir).filter((p) => p.startsWith('annotation_tasks')).map(rangeOf), [[1, 1], [3, 4]]);
    await sink.shutdown();
  });

  it('checks ages on a real timer (check_interval), still judged by the injected clock', async () => {
    const dir = tempDir();
    const ctx = context();
    const sink = new FileSink(config(dir, { roll_interval: '60s', check_interval: '10ms' }), ctx);
    await sink.start();
    await sink.write([entry(1, 'dead_letters', T0)]);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sink.durableSeq(), 0, 'no real time passes on the fake clock');
    ctx.clock.advance(60_000);
    for (let i = 0; i < 100 && sink.durableSeq() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sink.durableSeq(), 1);
    await sink.shutdown();
  });

  it('with several files open, durableSeq is one less than the oldest open file’s first seq', async () => {
    const dir = tempDir();
    const sink = new FileSink(config(dir), context());
    await sink.start();
    await sink.write([entry(1, 'dead_letters', T0), entry(2, 'labeled_interactions', T0), entry(3, 'dead_letters', T0 + HOUR)]);
    assert.equal(sink.durableSeq(), 0);
    await sink.flush();
    assert.equal(sink.durableSeq(), 3);
    await sink.write([entry(4, 'labeled_interactions', T0), entry(5, 'dead_letters', T0)]);
    assert.equal(sink.durableSeq(), 3);
    await sink.shutdown();
    assert.equal(sink.durableSeq(), 5);
  });

  it('closes the oldest file when max_open_files is reached', async () => {
    const dir = tempDir();
    const sink = new FileSink(config(dir, { max_open_files: 2 }), context());
    await sink.start();
    await sink.write([entry(1, 'dead_letters', T0), entry(2, 'dead_letters', T0 + HOUR), entry(3, 'dead_letters', T0 + 2 * HOUR)]);
    assert.deepEqual(listFiles(dir).filter((p) => p.endsWith('.avro')).map(rangeOf), [[1, 1]]);
    assert.equal(sink.durableSeq(), 1);
    await sink.shutdown();
  });
});

describe('file sink: lifecycle, metrics, bad input, failures', () => {
  it('shutdown is idempotent, safe without start, and refuses writes after', async () => {
    const dir = tempDir();
    const neverStarted = new FileSink(config(dir), context());
    await neverStarted.shutdown();
    await neverStarted.shutdown();
    assert.equal(neverStarted.ready(), false);
    await assert.rejects(neverStarted.write([entry(1, 'dead_letters', T0)]), RetryableError);

    const sink = new FileSink(config(dir), context());
    await assert.rejects(sink.write([entry(1, 'dead_letters', T0)]), /not started/);
    await sink.start();
    await sink.write([entry(1, 'dead_letters', T0)]);
    await Promise.all([sink.shutdown(), sink.shutdown()]);
    await sink.shutdown();
    assert.equal(sink.durableSeq(), 1);
    await assert.rejects(sink.write([entry(2, 'dead_letters', T0)]), (e: unknown) => e instanceof RetryableError && e.code === 'shutting_down');
    assert.equal(listFiles(dir).length, 1);
  });

  it('finishes writes that were called before shutdown', async () => {
    const dir = tempDir();
    const sink = new FileSink(config(dir), context());
    await sink.start();
    const w = sink.write([entry(1, 'dead_letters', T0), entry(2, 'dead_letters', T0)]);
    const s = sink.shutdown();
    await w;
    await s;
    assert.equal(sink.durableSeq(), 2);
    assert.equal((await readAll(dir))[0]!.records.length, 2);
  });

  it('counts received, emitted, errors and bytes', async () => {
    const dir = tempDir();
    const ctx = context();
    const sink = new FileSink(config(dir, { codec: 'null' }), ctx);
    await sink.start();
    const bad = { ...entry(2, 'labeled_interactions', T0), topic: 'no_such_topic' as Topic };
    await sink.write([entry(1, 'dead_letters', T0), bad, entry(3, 'dead_letters', T0)]);
    await sink.shutdown();
    const m = ctx.metrics;
    assert.equal(await m.value('feedback_loop_component_received_items_total', { component: 'file_sink' }), 3);
    assert.equal(await m.value('feedback_loop_component_emitted_items_total', { component: 'file_sink' }), 2);
    assert.equal(await m.value('feedback_loop_component_errors_total', { component: 'file_sink', reason: 'unknown_topic' }), 1);
    const bytes = await m.value('feedback_loop_file_sink_written_bytes_total', { topic: 'dead_letters' });
    assert.equal(bytes, statSync(join(dir, listFiles(dir)[0]!)).size);
    assert.equal(await m.value('feedback_loop_file_sink_files_total'), 1);
    // The bad record is not written and does not hold durableSeq back.
    assert.equal(sink.durableSeq(), 3);
    assert.deepEqual((await readAll(dir))[0]!.records.map((r) => r['detail']), ['id-1', 'id-3']);
  });

  it('on an I/O failure refuses writes, keeps durableSeq below what it could not finish, and shuts down cleanly', async () => {
    const dir = tempDir();
    const ctx = context();
    const sink = new FileSink(config(dir), ctx);
    await sink.start();
    await sink.write([entry(1, 'dead_letters', T0)]);
    writeFileSync(join(dir, 'annotation_tasks'), 'not a directory');
    await assert.rejects(
      sink.write([entry(2, 'annotation_tasks', T0)]),
      (e: unknown) => e instanceof RetryableError && e.code === 'sink_unavailable',
    );
    assert.equal(sink.ready(), false);
    assert.equal(sink.durableSeq(), 0);
    await assert.rejects(sink.write([entry(3, 'dead_letters', T0)]), RetryableError);
    await assert.rejects(sink.flush(), RetryableError);
    assert.equal(await ctx.metrics.value('feedback_loop_component_errors_total', { component: 'file_sink', reason: 'io' }), 1);
    await sink.shutdown();
    // The open file was not passed off as finished: its .tmp is left for the next start.
    assert.deepEqual(listFiles(dir).filter((p) => p.endsWith('.tmp')).length, 1);
  });
});
