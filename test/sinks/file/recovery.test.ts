// Exactly-once across crashes. A "crash" is a sink dropped without shutdown —
// its files left open, blocks unflushed, descriptors held — or a real child
// process killed with SIGKILL. The caller (the outbox) then re-sends what it
// still holds: everything from the new sink's durableSeq()+1, and possibly
// older entries it had not pruned yet.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileSink } from '../../../src/sinks/file';
import { FakeClock } from '../../../src/telemetry';
import { T0, config, context, idOf, listFiles, partitionDir, rangeOf, readAll, removeTempDirs, tempDir, withValue, type TestEntry } from './helpers';
import { crashWorkload, earlyEntries, lateEntries } from './workload';

after(removeTempDirs);

// Small enough that the labeled interactions (5..44) finish at least two files before the "crash".
const CRASH_CONFIG = { codec: 'deflate', roll_bytes: '24KiB' };

/** Every entry is on disk exactly once, in the right partition, field for field. */
async function assertExactlyOnce(dir: string, entries: TestEntry[]): Promise<void> {
  assert.deepEqual(listFiles(dir).filter((p) => p.endsWith('.tmp')), []);
  const seen = new Map<string, number>();
  const byId = new Map(entries.map((e) => [e.recordId, e]));
  for (const f of await readAll(dir)) {
    const topic = f.path.split('/')[0] as TestEntry["topic"];
    const [first, last] = rangeOf(f.path);
    for (const r of f.records) {
      const id = idOf(topic, r);
      seen.set(id, (seen.get(id) ?? 0) + 1);
      const e = byId.get(id);
      assert.ok(e, `unexpected record ${id}`);
      assert.equal(f.path.slice(0, f.path.lastIndexOf('/')), partitionDir(e.topic, e.timeMs));
      assert.ok(e.seq >= first && e.seq <= last);
      assert.deepEqual(r, e.value);
    }
  }
  const wrong = entries.filter((e) => seen.get(e.recordId) !== 1).map((e) => `${e.seq}×${seen.get(e.recordId) ?? 0}`);
  assert.deepEqual(wrong, [], 'entries not written exactly once (seq×count)');
  assert.equal([...seen.values()].reduce((a, b) => a + b, 0), entries.length);
}

/** Writes the workload like the outbox would, then "crashes": returns the sink without shutting it down. */
async function writeThenCrash(dir: string): Promise<{ crashed: FileSink; durable: number; finishedAtCrash: string[] }> {
  // Its own clock never moves, so its (unref'd) timer can never roll a file after the "crash".
  const crashed = new FileSink(config(dir, CRASH_CONFIG), context(new FakeClock(T0)));
  await crashed.start();
  await crashed.write(earlyEntries());
  await crashed.flush();
  const late = lateEntries();
  for (let i = 0; i < late.length; i += 5) await crashed.write(late.slice(i, i + 5));
  return { crashed, durable: crashed.durableSeq(), finishedAtCrash: listFiles(dir).filter((p) => p.endsWith('.avro')) };
}

function resend(entries: TestEntry[], from: number): TestEntry[] {
  return entries.filter((e) => e.seq >= from);
}

describe('file sink: exactly-once across crashes', () => {
  it('after a crash: tmp files removed, durableSeq as before, re-sent entries written exactly once', async () => {
    const dir = tempDir();
    const { durable, finishedAtCrash } = await writeThenCrash(dir);
    assert.equal(durable, 3, 'the open dead-letter file from seq 4 holds durableSeq at 3');
    assert.ok(listFiles(dir).some((p) => p.endsWith('.tmp')));
    // Finished files above the gap: labeled interactions rolled while seq 4 was still open.
    const labeledFinished = finishedAtCrash.filter((p) => p.startsWith('labeled_interactions')).map(rangeOf);
    assert.ok(labeledFinished.length >= 2 && labeledFinished[0]![0] === 5);

    const ctx = context();
    const sink = new FileSink(config(dir, CRASH_CONFIG), ctx);
    await sink.start();
    assert.deepEqual(listFiles(dir).filter((p) => p.endsWith('.tmp')), []);
    assert.equal(sink.durableSeq(), 3);

    const all = crashWorkload();
    // From durableSeq+1 on, preceded by some older entries the outbox had not pruned yet.
    const durableAtStart = sink.durableSeq();
    const from = durableAtStart - 1;
    const again = resend(all, from);
    for (let i = 0; i < again.length; i += 7) await sink.write(again.slice(i, i + 7));
    await sink.shutdown();
    assert.equal(sink.durableSeq(), 49);
    await assertExactlyOnce(dir, all);

    const skippedInFinishedFiles = labeledFinished.reduce((n, [a, b]) => n + (b - a + 1), 0);
    assert.equal(
      await ctx.metrics.value('feedback_loop_component_dropped_items_total', { component: 'file_sink', reason: 'already_written' }),
      // The older entries (≤ durableSeq) and those inside finished files are skipped, nothing else.
      durableAtStart - from + 1 + skippedInFinishedFiles,
    );
  });

  it('a second crash before the gap is re-filled does not overstate durableSeq', async () => {
    const dir = tempDir();
    const { durable } = await writeThenCrash(dir);
    const all = crashWorkload();

    // Restart, re-send only a little, crash again: the first run's .tmp files are gone by now.
    const second = new FileSink(config(dir, CRASH_CONFIG), context(new FakeClock(T0)));
    await second.start();
    assert.equal(second.durableSeq(), durable);
    assert.ok(existsSync(join(dir, '_recovery.json')), 'the bound is kept on disk while the gap is open');
    await second.write(resend(all, durable + 1).slice(0, 3));

    const third = new FileSink(config(dir, CRASH_CONFIG), context());
    await third.start();
    assert.equal(third.durableSeq(), durable, 'finished files above the gap must not count');
    const again = resend(all, third.durableSeq() + 1);
    for (let i = 0; i < again.length; i += 4) await third.write(again.slice(i, i + 4));
    await third.shutdown();
    await assertExactlyOnce(dir, all);
    assert.equal(existsSync(join(dir, '_recovery.json')), false, 'removed once durable past every finished file');

    // A clean restart now starts at the end.
    const fourth = new FileSink(config(dir, CRASH_CONFIG), context());
    await fourth.start();
    assert.equal(fourth.durableSeq(), 49);
    await fourth.shutdown();
  });

  it('survives a real SIGKILL of a writer process', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [join(__dirname, 'crash-writer.js'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const reported = await new Promise<{ durableSeq: number }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))) as { durableSeq: number });
      });
      child.on('exit', (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    assert.equal(reported.durableSeq, 3);
    assert.ok(listFiles(dir).some((p) => p.endsWith('.tmp')), 'the writer died with files open');

    const sink = new FileSink(config(dir, CRASH_CONFIG), context());
    await sink.start();
    assert.equal(sink.durableSeq(), reported.durableSeq);
    const all = crashWorkload();
    await sink.write(resend(all, 1)); // the whole outbox, old entries included
    await sink.shutdown();
    await assertExactlyOnce(dir, all);
  });

  it('a clean shutdown leaves nothing to recover', async () => {
    const dir = tempDir();
    const first = new FileSink(config(dir, CRASH_CONFIG), context());
    await first.start();
    await first.write(crashWorkload());
    await first.shutdown();
    const second = new FileSink(config(dir, CRASH_CONFIG), context());
    await second.start();
    assert.equal(second.durableSeq(), 49);
    await second.write(crashWorkload()); // everything already durable: all skipped
    await second.write([withValue(crashWorkload()[0]!, { seq: 50, recordId: 'id-50' }, { ...crashWorkload()[0]!.value, example_id: 'id-50' })]);
    await second.shutdown();
    assert.equal(second.durableSeq(), 50);
    const all = crashWorkload();
    all.push(withValue(all[0]!, { seq: 50, recordId: 'id-50' }, { ...all[0]!.value, example_id: 'id-50' }));
    await assertExactlyOnce(dir, all);
  });
});
