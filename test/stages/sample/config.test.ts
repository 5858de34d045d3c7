import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, ConfigError, defaultConfig } from '../../../src/config';
import { createDecider } from '../../../src/stages/sample';
import { feedback, interaction } from '../../helpers/events';
import { record } from '../label/record';
import { testContext } from './helpers';

// Compiled tests live in dist/test/…; fixtures stay in the source tree.
const POLICIES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'policies');

function problemsOf(yaml: string): Array<{ path: string; message: string; line?: number }> {
  try {
    parseConfig(yaml, 'test.yaml', {});
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('example policy configs (test/fixtures/policies)', () => {
  const files = readdirSync(POLICIES).filter((f) => f.endsWith('.yaml'));

  test('there are five', () => assert.equal(files.length, 5));

  for (const file of files) {
    test(`${file} validates against the full config schema and builds a decider`, () => {
      const cfg = parseConfig(readFileSync(join(POLICIES, file), 'utf8'), file, {});
      const d = createDecider({ label: cfg.label, sample: cfg.sample }, testContext());
      assert.ok(d.describe().length > 0);
      // And it decides: a negative final record goes somewhere without throwing.
      const r = record(interaction({ requestId: `fixture-${file}` }), [feedback({ value: 0, reason: 'wrong' })]);
      assert.doesNotThrow(() => d.decide(r));
    });
  }

  test('the first example says what its name says', () => {
    const cfg = parseConfig(readFileSync(join(POLICIES, 'negatives-1pct-500-per-hour-by-model.yaml'), 'utf8'), 'x', {});
    const at = cfg.sample.routes.annotation_tasks;
    assert.equal(at.max_per_hour, 500);
    assert.equal(at.stratify?.field, 'model');
    assert.deepEqual(at.policies.map((p) => p.type), ['label', 'probabilistic']);
  });
});

describe('sample config validation', () => {
  test('defaults: everything to the labeled stream, negatives + 2% to annotation at 500/h', () => {
    const s = defaultConfig().sample;
    assert.deepEqual(s.routes.labeled_interactions.policies, [{ type: 'always', name: 'all' }]);
    assert.equal(s.routes.annotation_tasks.max_per_hour, 500);
    assert.equal(s.rate_estimate_window, 60_000);
  });

  test('every problem at once, each with its key and line', () => {
    const problems = problemsOf(`
sample:
  routes:
    annotation_tasks:
      policies:
        - { type: probabilistic, percentage: 150 }
        - { type: not, policy: { type: rate_limit, per_second: 5 } }
        - { type: and, policies: [ { type: probabilistic, percentage: 3 }, { type: numeric, field: latency_ms } ] }
        - { type: rate_limit, per_second: 1, per_hour: 10 }
        - { type: attribute, field: colour, value: red }
        - { type: attribute, field: model, regex: '(a' }
        - { type: composite, per_second: 10, policies: [ { share: 80, policy: { type: always } }, { share: 40, policy: { type: never } } ] }
        - { type: sometimes }
    training_examples:
      eval_share: 2
`);
    const at = (p: string) => problems.find((x) => x.path === p);
    const base = 'sample.routes.annotation_tasks.policies';
    for (const p of [
      `${base}[0].percentage`,
      `${base}[1].policy`,
      `${base}[2].policies[0].salt`,
      `${base}[2].policies[1]`,
      `${base}[3]`,
      `${base}[4].field`,
      `${base}[5].regex`,
      `${base}[6].policies`,
      `${base}[7].type`,
      'sample.routes.training_examples.eval_share',
    ]) {
      assert.ok(at(p), `no problem reported at ${p}; got:\n${problems.map((x) => `${x.path}: ${x.message}`).join('\n')}`);
    }
    assert.equal(at(`${base}[0].percentage`)!.line, 6);
    assert.match(at(`${base}[1].policy`)!.message, /cannot sit under not/);
    assert.match(at(`${base}[2].policies[0].salt`)!.message, /same salt/);
  });

  test('unknown keys are refused', () => {
    const problems = problemsOf('sample:\n  routes:\n    annotation_tasks:\n      max_per_day: 5\n');
    assert.deepEqual(problems.map((p) => [p.path, p.message]), [['sample.routes.annotation_tasks.max_per_day', 'unknown key']]);
  });
});
