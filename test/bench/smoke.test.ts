import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run as runRedact } from '../../bench/redact';

// Benchmarks are not tests; this only keeps the harness from rotting: a few
// seconds of each, and every figure it promises is a positive number.
test('the benchmark harness runs and writes its figures', { timeout: 180_000 }, () => {
  const out = execFileSync(process.execPath, [resolve(__dirname, '..', '..', 'bench', 'run.js'), '--smoke'], { encoding: 'utf8' });
  const dir = /smoke results in (\S+)/.exec(out)?.[1];
  assert.ok(dir, out.slice(-2000));
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, ['allocator.json', 'cores.json', 'deflate.json', 'http-file.json', 'join-windows.json', 'pipeline.json']);
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { machine: { cores: number }; figures: Record<string, unknown> };
  const pipeline = read('pipeline.json');
  assert.ok(pipeline.machine.cores >= 1);
  assert.ok((pipeline.figures.spans_per_s as number) > 0);
  assert.ok(((pipeline.figures.us_per_span as Record<string, number>).total ?? 0) > 0);
  assert.ok((read('join-windows.json').figures.insert_windows_per_s as number) > 0);
  const http = read('http-file.json').figures;
  assert.ok((http.sustained_spans_per_s as number) > 0);
  // Two sustained runs into fresh services; the reported rate is one of them (the median, of two the slower).
  const runs = http.sustained_runs_spans_per_s as number[];
  assert.equal(runs.length, 2);
  assert.equal(http.sustained_spans_per_s, Math.min(...runs));
  assert.ok(((http.ack_latency_ms as Record<string, number>).p99 ?? 0) > 0);
  assert.ok((http.records_to_file_sink as number) > 0, 'windows closed and their records reached the sink during the run');
  // jemalloc side by side with glibc where it is installed; elsewhere the file says why it was skipped.
  const allocator = read('allocator.json').figures;
  if (typeof allocator.skipped === 'string') assert.match(allocator.skipped, /libjemalloc/);
  else {
    const runs = allocator.runs as Record<string, Array<{ event_loop_cpu_us_per_span: number }>>;
    assert.equal(runs.glibc!.length, 1);
    assert.equal(runs.jemalloc!.length, 1);
    assert.ok((allocator.ratio_event_loop_cpu_per_span as number) > 0 && (allocator.ratio_sustained_spans_per_s as number) > 0);
  }
  const cores = read('cores.json').figures;
  assert.ok((cores.one_process_spans_per_s as number) > 0 && (cores.ratio as number) > 0);
  const deflate = read('deflate.json').figures as Record<string, { ratio: number; cpu_ms_per_mib: number }>;
  for (const level of ['level_1', 'level_6', 'level_9']) assert.ok(deflate[level]!.ratio > 0 && deflate[level]!.ratio < 1, level);
});

test('the redaction benchmark measures throughput', async () => {
  const r = await runRedact({ seconds: 0.3, interactions: 20, write: false });
  assert.ok(r.mbPerSecondCpu > 0);
  assert.ok(r.latencyUs.p99 >= r.latencyUs.p50);
});
