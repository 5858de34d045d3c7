import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import { ClassicLevel } from 'classic-level';
import { encodeLogs, encodeTraces, generate } from '../../bench/workload';
import { post, startService } from '../helpers/service-process';
import { metricValue, waitForMetrics } from '../helpers/metrics-scrape';
import { readAvroDir } from '../helpers/avro-files';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

interface Rec {
  request_id: string;
  interaction: { user_id: string | null; input_messages: unknown[] } | null;
  feedback: Array<{ actor: string | null; text: string | null }>;
}

test('nothing readable of the PII sent reaches files, state or logs, and one user keeps one pseudonym', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'redaction-e2e-'));
  const out = join(dir, 'out');
  // Interactions full of emails, phone numbers, card numbers, IBANs, SSNs and
  // API keys (bench/workload.ts), a fifth with their content in log records,
  // and feedback (corrections quote the answer, so their text carries PII too).
  const wl = generate({ seed: 31, interactions: 300, feedbackRate: 0.5, textBytes: 1500, legacyShare: 0.2 });
  const rawValues = new Set<string>();
  const userOf = new Map<string, string>();
  for (const s of wl.spans) {
    const a = s.attributes as Record<string, unknown>;
    if (typeof a['gen_ai.response.id'] === 'string' && typeof a['user.id'] === 'string') userOf.set(a['gen_ai.response.id'], a['user.id']);
    if (typeof a['user.id'] === 'string') rawValues.add(a['user.id']);
  }
  const everything = JSON.stringify([wl.spans.map((s) => s.attributes), wl.logs.map((l) => l.body)]);
  const pii = [
    ...new Set(
      [
        ...everything.matchAll(/[a-z0-9.]+@example\.com/g),
        ...everything.matchAll(/\+44 20 7946 \d{4}/g),
        ...everything.matchAll(/4111 1111 1111 1111/g),
        ...everything.matchAll(/GB82 WEST 1234 5698 7654 32/g),
        ...everything.matchAll(/123-45-6789/g),
        ...everything.matchAll(/sk-proj-[A-Za-z0-9]{20,}/g),
      ].map((m) => m[0]),
    ),
  ];
  assert.ok(pii.length >= 20, `the traffic carries PII (${pii.length} distinct values)`);
  // The digits-only forms too: a card or phone number must not survive with its spaces removed.
  const needles = [...pii, ...pii.filter((v) => /\d{4} \d{4}/.test(v)).map((v) => v.replace(/ /g, '')), ...[...rawValues].filter((u) => u.length > 6)];

  const svc = await startService(`join:\n  window: 1s\n  sweep_interval: 100ms\nsinks:\n  file:\n    directory: ${out}\n    roll_interval: 200ms\n`, {
    dir,
    logLevel: 'debug',
  });
  try {
    for (const body of encodeTraces(wl.spans, 'protobuf', 50)) assert.equal((await post(`${svc.otlpUrl}/v1/traces`, body, 'application/x-protobuf')).status, 200);
    for (const body of encodeLogs(wl.logs, 'json', 50)) assert.equal((await post(`${svc.otlpUrl}/v1/logs`, body, 'application/json')).status, 200);
    await waitForMetrics(svc.adminUrl, (m) => metricValue(m, 'feedback_loop_join_open_windows') === 0 && metricValue(m, 'feedback_loop_outbox_backlog_records') === 0);
  } finally {
    assert.equal(await svc.kill('SIGTERM'), 0);
  }

  const leaks: string[] = [];
  const check = (where: string, text: string) => {
    for (const v of needles) if (text.includes(v)) leaks.push(`${where}: ${v.slice(0, 6)}…`);
  };
  // 1. Every record in every topic, decoded.
  const topics = readdirSync(out);
  assert.ok(topics.includes('labeled_interactions'));
  const labeled: Rec[] = [];
  for (const t of topics) {
    const records = await readAvroDir<Rec>(join(out, t));
    if (t === 'labeled_interactions') labeled.push(...records);
    check(`topic ${t}`, JSON.stringify(records));
  }
  assert.equal(new Set(labeled.map((r) => r.request_id)).size, 300, 'every interaction was written');
  // 2. The state store, decoded value by value, and its files as raw bytes (the write-ahead log is not compressed).
  const db = new ClassicLevel<string, Buffer>(join(dir, 'data', 'state'), { valueEncoding: 'buffer' });
  await db.open();
  let values = 0;
  for await (const [k, v] of db.iterator()) {
    values++;
    check(`state ${k.slice(0, 2)}`, k + JSON.stringify(v.length ? deserialize(v) : null));
  }
  await db.close();
  assert.ok(values > 0, 'the store holds tombstones, aliases and session entries');
  for (const f of walk(join(dir, 'data'))) check(`file ${f.slice(dir.length)}`, readFileSync(f).toString('latin1'));
  // 3. The service's own log, at debug level.
  check('service log', svc.logs());
  assert.deepEqual(leaks, [], 'no original value anywhere the service wrote');

  // The same user gets the same pseudonym in every record, and it is not the raw id.
  const byUser = new Map<string, Set<string>>();
  for (const r of labeled) {
    const raw = userOf.get(r.request_id);
    if (!raw || !r.interaction?.user_id) continue;
    assert.notEqual(r.interaction.user_id, raw);
    byUser.set(raw, (byUser.get(raw) ?? new Set()).add(r.interaction.user_id));
  }
  const repeated = [...byUser].filter(([, ps]) => ps.size >= 1);
  assert.ok(repeated.length > 10);
  for (const [raw, pseudonyms] of byUser) assert.equal(pseudonyms.size, 1, `user ${raw.slice(0, 4)}… has one pseudonym`);
  const counts = new Map<string, number>();
  for (const r of labeled) if (r.interaction?.user_id) counts.set(r.interaction.user_id, (counts.get(r.interaction.user_id) ?? 0) + 1);
  assert.ok([...counts.values()].some((c) => c >= 2), 'two records from the same user share a pseudonym');
  rmSync(dir, { recursive: true, force: true });
});
