import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, encodeTraces } from '../../bench/workload';
import { post, startService, type ServiceProcess } from '../helpers/service-process';
import { readAvroDir } from '../helpers/avro-files';
import { metricValue, waitForMetrics } from '../helpers/metrics-scrape';

interface Rec {
  request_id: string;
  record_id: string;
  final: boolean;
  feedback: Array<{ signal_id: string; source: string }>;
}

/** Sends bodies a few at a time; returns the indexes the service acknowledged with 200. */
async function sendAll(svc: ServiceProcess, bodies: Uint8Array[], indexes: number[], onProgress?: (sent: number) => void): Promise<Set<number>> {
  const acked = new Set<number>();
  let next = 0;
  let sent = 0;
  const worker = async () => {
    while (next < indexes.length) {
      const i = indexes[next++]!;
      try {
        const r = await post(`${svc.otlpUrl}/v1/traces`, bodies[i]!, 'application/x-protobuf');
        if (r.status === 200) acked.add(i);
        await r.arrayBuffer();
      } catch {
        // connection reset by the kill: not acknowledged
      }
      onProgress?.(++sent);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return acked;
}

test('kill -9 mid-stream: every acknowledged interaction and signal lands in exactly one final record', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crash-'));
  const out = join(dir, 'out');
  // The window must outlast the outage this test makes (kill, restart, retry of
  // what was not acknowledged): feedback retried after a window closed would be
  // late — kept, as an orphan, but not joined. 2 s was sometimes too short.
  const config = `join:
  window: 10s
  sweep_interval: 100ms
  mode: final
sinks:
  file:
    directory: ${out}
    roll_interval: 300ms
`;
  const wl = generate({ seed: 11, interactions: 800, feedbackRate: 0.3, textBytes: 400 });
  const bodies = encodeTraces(wl.spans, 'protobuf', 20);
  const all = bodies.map((_, i) => i);
  try {
    let svc = await startService(config, { dir });
    let killed = false;
    const firstRun = sendAll(svc, bodies, all, (sent) => {
      if (!killed && sent >= Math.floor(bodies.length / 2)) {
        killed = true;
        svc.child.kill('SIGKILL');
      }
    });
    const acked = await firstRun;
    assert.equal(await svc.exited, 'SIGKILL');
    assert.ok(acked.size > 0 && acked.size < bodies.length, `killed mid-stream (${acked.size}/${bodies.length} acknowledged)`);

    // Restart on the same data dir and retry what was not acknowledged, as a collector would.
    svc = await startService(config, { dir });
    const retry = all.filter((i) => !acked.has(i));
    const ackedAfter = await sendAll(svc, bodies, retry);
    assert.equal(ackedAfter.size, retry.length, 'the restarted service takes everything');

    await waitForMetrics(svc.adminUrl, (m) => metricValue(m, 'feedback_loop_join_open_windows') === 0, 60_000);
    assert.equal(await svc.kill('SIGTERM'), 0, `clean shutdown\n${svc.logs().slice(-2000)}`);

    const records = await readAvroDir<Rec>(join(out, 'labeled_interactions'));
    const byRequest = new Map<string, Rec[]>();
    for (const r of records) byRequest.set(r.request_id, [...(byRequest.get(r.request_id) ?? []), r]);
    const missing = wl.responseIds.filter((id) => !byRequest.has(id));
    assert.deepEqual(missing, [], 'no interaction lost');
    const twice = [...byRequest].filter(([, rs]) => rs.length !== 1).map(([id]) => id);
    assert.deepEqual(twice, [], 'no interaction emitted twice');
    assert.equal(records.length, wl.responseIds.length);
    assert.ok(records.every((r) => r.final));
    for (const [id, n] of wl.feedbackCount) {
      const explicit = byRequest.get(id)![0]!.feedback.filter((f) => f.source === 'user');
      assert.equal(explicit.length, n, `feedback for ${id}`);
    }
    const orphans = await readAvroDir<Rec>(join(out, 'orphaned_feedback'));
    assert.equal(orphans.length, 0, 'no feedback lost its interaction');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
