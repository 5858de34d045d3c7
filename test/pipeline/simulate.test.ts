import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseConfig } from '../../src/config';
import { formatSimulations, simulate } from '../../src/pipeline/simulate';

// The capture: 150 interactions over 75 minutes (37 of them semconv-1.36
// style, their content in 74 log records) and 70 feedback spans on 57 of
// them: bench/workload.ts `generate({ seed: 21, interactions: 150,
// feedbackRate: 0.4, textBytes: 300, legacyShare: 0.2, intervalMs: 30000 })`
// written by `captureLines(wl, 1 min)` (a line per minute, as a collector batch would).
const CAPTURE = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'captures', 'support-assistant.jsonl');
const CLI = resolve(__dirname, '..', '..', 'src', 'cli', 'main.js');

const keepAllNoQueues = parseConfig(
  `join:\n  window: 1h\nsample:\n  routes:\n    annotation_tasks:\n      policies: [{ type: never }]\n    training_examples:\n      policies: [{ type: never }]\n`,
  'keep-all.yaml',
  {},
);
const negativesToAnnotation = parseConfig(
  `join:\n  window: 1h\nsample:\n  routes:\n    annotation_tasks:\n      max_per_hour: null\n      dedupe: { enabled: false }\n      policies:\n        - { type: label, dimension: overall, value: false, source: user, name: user_negative }\n`,
  'negatives.yaml',
  {},
);

test('simulate replays a capture through every stage and counts what each route would get', async () => {
  const sim = await simulate('keep-all', keepAllNoQueues, [CAPTURE]);
  assert.equal(sim.counts.spans, 220);
  assert.equal(sim.counts.logRecords, 74);
  assert.equal(sim.counts.interactions, 150);
  assert.equal(sim.counts.feedbackSignals, 70);
  assert.equal(sim.counts.topics.labeled_interactions, 150, 'one final record per interaction');
  assert.equal(sim.counts.topics.orphaned_feedback ?? 0, 0, 'every signal found its interaction');
  assert.equal(sim.counts.topics.annotation_tasks ?? 0, 0);
  assert.equal(sim.counts.topics.training_examples ?? 0, 0);
});

test('a new policy shows its effect side by side, and the same input gives the same answer twice', async () => {
  const a = await simulate('current', keepAllNoQueues, [CAPTURE]);
  const b = await simulate('new', negativesToAnnotation, [CAPTURE]);
  const tasks = b.counts.topics.annotation_tasks ?? 0;
  const negatives = b.stats.labels.overall?.false ?? 0;
  assert.ok(tasks > 0, 'negatives become annotation tasks');
  assert.ok(tasks <= negatives, `${tasks} tasks for ${negatives} negative overall labels`);
  assert.equal(b.stats.policies.annotation_tasks?.user_negative?.kept, tasks);
  const again = await simulate('new', negativesToAnnotation, [CAPTURE]);
  assert.deepEqual(again.counts, b.counts);
  assert.deepEqual(again.stats, b.stats);
  const table = formatSimulations([a, b]);
  assert.match(table, /annotation_tasks\s+0\s+\d+\s+\+\d+/);
  assert.match(table, /current.*new.*change/);
});

test('a redaction change shows its effect by entity type: what a detector switched off or added would replace', async () => {
  const base = await simulate('current', keepAllNoQueues, [CAPTURE]);
  const emails = base.counts.redacted.email ?? 0;
  assert.ok(emails > 0, 'the capture has email addresses');
  const changed = parseConfig(
    `join:\n  window: 1h\nredact:\n  detectors: { email: false }\n  custom_detectors:\n    - { name: job_title, pattern: 'compliance officer' }\n`,
    'changed.yaml',
    {},
  );
  const sim = await simulate('new', changed, [CAPTURE]);
  assert.equal(sim.counts.redacted.email ?? 0, 0);
  assert.ok((sim.counts.redacted.job_title ?? 0) > 0, 'the custom detector finds what it was written for');
  const table = formatSimulations([base, sim]);
  assert.match(table, /values redacted, by entity type/);
  assert.match(table, new RegExp(`\\n  email\\s+${emails}\\s+0\\s+-${emails}\\n`));
  assert.match(table, /\n {2}job_title\s+0\s+\d+\s+\+\d+\n/);
});

test('the CLI prints the comparison and exits 0; a bad config exits 1 naming the key', () => {
  const out = execFileSync(process.execPath, [CLI, 'simulate', '--config', 'config/default.yaml', '--baseline', 'config/default.yaml', CAPTURE], {
    cwd: resolve(__dirname, '..', '..', '..'),
    encoding: 'utf8',
  });
  assert.match(out, /labeled_interactions/);
  assert.match(out, /label mix/);
  assert.throws(
    () => execFileSync(process.execPath, [CLI, 'simulate', '--config', CAPTURE, CAPTURE], { encoding: 'utf8', stdio: 'pipe' }),
    (err: { status: number; stderr: string }) => err.status === 1 && /problem/.test(err.stderr),
  );
});

test('windows left open at the end of a capture close at their own deadlines, not in one burst (regression)', async () => {
  // 150 interactions over 75 minutes, a 24 h window (so nothing closes during
  // the capture), one task a minute with a burst of 1: closing every window in
  // the same instant lets exactly one task through; closing each at its own
  // deadline spreads them over the 75 minutes the capture spans.
  const oneAMinute = parseConfig(
    `sample:\n  routes:\n    annotation_tasks:\n      max_per_hour: 60\n      burst: 1\n      dedupe: { enabled: false }\n      policies: [{ type: always }]\n`,
    'one-a-minute.yaml',
    {},
  );
  const sim = await simulate('one-a-minute', oneAMinute, [CAPTURE]);
  const tasks = sim.counts.topics.annotation_tasks ?? 0;
  assert.ok(tasks >= 20 && tasks <= 80, `${tasks} tasks over ~75 minutes at one a minute`);
});
