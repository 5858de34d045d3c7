// The labeled corpus (test/fixtures/redaction/corpus.jsonl) must meet the
// targets: recall 1.0 on checksummed and key-shaped entities, ≥ 0.98 overall,
// precision ≥ 0.95, and no checksummed/key value left in redactText output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, loadCorpus, STRICT_TYPES, TARGETS } from '../../../scripts/redaction-eval';

test('redaction accuracy on the labeled corpus meets the targets', () => {
  const rows = loadCorpus();
  assert.ok(rows.length >= 300, `corpus has ${rows.length} strings`);
  assert.ok(new Set(rows.map((r) => r.lang)).size >= 8, 'several languages');
  const r = evaluate(rows);
  const misses = r.errors.map((e) => `${e.kind} ${e.type} ${e.id}`).join('\n');
  for (const type of STRICT_TYPES) {
    assert.ok(r.perEntity[type] && r.perEntity[type]!.support > 0, `corpus has ${type}`);
    assert.equal(r.perEntity[type]!.recall, 1, `${type} recall\n${misses}`);
  }
  assert.ok(r.strict.recall >= TARGETS.strictRecall, misses);
  assert.ok(r.overall.recall >= TARGETS.overallRecall, `overall recall ${r.overall.recall}\n${misses}`);
  assert.ok(r.overall.precision >= TARGETS.precision, `precision ${r.overall.precision}\n${misses}`);
  assert.equal(r.errors.filter((e) => e.kind === 'leaked' && STRICT_TYPES.includes(e.type)).length, 0, misses);
  assert.equal(r.pass, true);
});
