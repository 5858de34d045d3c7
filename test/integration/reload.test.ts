import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, encodeTraces } from '../../bench/workload';
import { post, startService } from '../helpers/service-process';
import { metricValue, scrape, waitForMetrics } from '../helpers/metrics-scrape';
import { readAvroDir } from '../helpers/avro-files';

const policy = (annotation: string, extra = '') => `join:
  window: 1s
  sweep_interval: 100ms
sinks:
  file:
    directory: OUT
    roll_interval: 200ms
sample:
  routes:
    annotation_tasks:
      max_per_hour: null
      dedupe: { enabled: false }
      policies: [${annotation}]
${extra}`;

test('live reload: a valid config takes effect without a restart; an invalid one is rejected and the old one kept', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reload-'));
  const out = join(dir, 'out');
  const svc = await startService(policy('{ type: never }').replace('OUT', out), { dir });
  const write = (yaml: string) => writeFileSync(svc.configFile!, svc.baseYaml! + yaml.replace('OUT', out));
  try {
    // The join window is not reloadable: such changes are reported as needing a restart, not applied.
    write(policy('{ type: always }').replace('window: 1s', 'window: 1200ms'));
    svc.child.kill('SIGHUP');
    await waitForMetrics(svc.adminUrl, (m) => metricValue(m, 'feedback_loop_config_reloads_total', { result: 'success' }) >= 1);
    assert.match(svc.logs(), /some changes need a restart/);

    // Traffic after the reload gets the new policy: every final record becomes an annotation task.
    const wl = generate({ seed: 99, interactions: 30, feedbackRate: 0.5, textBytes: 200 });
    for (const body of encodeTraces(wl.spans, 'protobuf', 50)) assert.equal((await post(`${svc.otlpUrl}/v1/traces`, body, 'application/x-protobuf')).status, 200);
    await waitForMetrics(svc.adminUrl, (m) => metricValue(m, 'feedback_loop_join_open_windows') === 0);
    await waitForMetrics(svc.adminUrl, (m) => metricValue(m, 'feedback_loop_sample_kept_total', { route: 'annotation_tasks' }) === 30);

    // An invalid config: rejected, counted, the process stays up and ready, and the old policy keeps working.
    write(policy('{ type: sometimes }', 'join_typo: 1\n'));
    svc.child.kill('SIGHUP');
    await waitForMetrics(svc.adminUrl, (m) => metricValue(m, 'feedback_loop_config_reloads_total', { result: 'failure' }) >= 1);
    const m = await scrape(svc.adminUrl);
    assert.equal(metricValue(m, 'feedback_loop_config_last_reload_successful'), 0);
    assert.equal((await fetch(`${svc.adminUrl}/readyz`)).status, 200);
    assert.match(svc.logs(), /config reload rejected/);
    assert.match(svc.logs(), /join_typo/);
    assert.equal(svc.child.exitCode, null, 'still running');
  } finally {
    await svc.kill('SIGTERM');
    rmSync(svc.dir, { recursive: true, force: true });
  }
});

test('reloaded redaction policy applies to the next request', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reload-'));
  const out = join(dir, 'out');
  const base = `join:\n  window: 500ms\n  sweep_interval: 100ms\nsinks:\n  file:\n    directory: ${out}\n    roll_interval: 200ms\n`;
  const svc = await startService(base, { dir });
  try {
    writeFileSync(svc.configFile!, svc.baseYaml! + base + `redact:\n  policy_version: v2-reloaded\n`);
    svc.child.kill('SIGHUP');
    await waitForMetrics(svc.adminUrl, (m) => metricValue(m, 'feedback_loop_config_reloads_total', { result: 'success' }) >= 1);
    const wl = generate({ seed: 5, interactions: 3, feedbackRate: 0, textBytes: 200 });
    for (const body of encodeTraces(wl.spans, 'protobuf', 50)) assert.equal((await post(`${svc.otlpUrl}/v1/traces`, body, 'application/x-protobuf')).status, 200);
    await waitForMetrics(svc.adminUrl, (m) => metricValue(m, 'feedback_loop_join_open_windows') === 0);
    await svc.kill('SIGTERM');
    const records = await readAvroDir<{ redaction: { policy_version: string } }>(join(out, 'labeled_interactions'));
    assert.equal(records.length, 3);
    assert.ok(records.every((r) => r.redaction.policy_version === 'v2-reloaded'));
  } finally {
    if (svc.child.exitCode === null) await svc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
