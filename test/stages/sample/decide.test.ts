import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createDecider, type DeciderConfig } from '../../../src/stages/sample';
import { createLabeler, labelConfigSchema, type LabelConfigInput } from '../../../src/stages/label';
import { sampleConfigSchema, type SampleConfigInput } from '../../../src/stages/sample/config';
import { classify, priorityOf } from '../../../src/stages/sample/annotation';
import { decodeRecord, defaultSchemas, invalidPaths } from '../../../src/sinks/avro';
import { plain } from '../../sinks/avro/helpers';
import { FeedbackLoopError } from '../../../src/pipeline/errors';
import type { OutboxDraft } from '../../../src/pipeline/outbox';
import type { LabeledRecord } from '../../../src/model';
import { feedback, interaction } from '../../helpers/events';
import { record } from '../label/record';
import { label, testContext, withLabels } from './helpers';

function decider(sample: SampleConfigInput = {}, labelCfg: LabelConfigInput = {}, ctx = testContext()) {
  const config: DeciderConfig = { label: labelConfigSchema.parse(labelCfg), sample: sampleConfigSchema.parse(sample) };
  return { d: createDecider(config, ctx), ctx };
}

const topics = (drafts: OutboxDraft[]): string[] => drafts.map((d) => d.topic);
const schemas = defaultSchemas();

/** The record a draft's payload encodes. */
const valueOf = (d: OutboxDraft): Record<string, unknown> => plain(decodeRecord(d.topic, d.payload)) as Record<string, unknown>;

/** Every payload decodes, whole, to a value that validates against its topic's schema. */
function assertValidAvro(drafts: OutboxDraft[]): void {
  for (const d of drafts) assert.deepEqual(invalidPaths(schemas[d.topic].type, valueOf(d)), [], `${d.topic} payload does not decode to a valid record`);
}

const thumbsDown = (reason?: string) => feedback({ value: 0, reason });
let n = 0;
const negative = (over: Partial<LabeledRecord> = {}, prompt?: string): LabeledRecord => {
  n++;
  const i = interaction({
    requestId: `neg-${n}`,
    conversationId: `conv-${n}`,
    ...(prompt ? { inputMessages: [{ role: 'user', parts: [{ type: 'text', content: prompt }] }] } : {}),
  });
  return record(i, [thumbsDown('wrong'), feedback({ feedbackKind: 'correction', value: undefined, text: 'The right answer.', source: 'expert' })], over);
};

describe('routing', () => {
  test('a final negative record goes to labeled_interactions, annotation_tasks and training_examples', () => {
    const { d } = decider();
    const r = negative();
    const drafts = d.decide(r);
    assert.deepEqual(topics(drafts), ['labeled_interactions', 'annotation_tasks', 'training_examples']);
    for (const x of drafts) {
      assert.equal(x.key, r.requestId);
      assert.equal(x.timeMs, r.emittedMs);
    }
    assert.equal(drafts[0]!.recordId, r.recordId);
    assert.deepEqual(r.sampling, { probability: 1, policy: 'all', routes: ['labeled_interactions', 'annotation_tasks', 'training_examples'] });
    assert.deepEqual((valueOf(drafts[0]!) as { sampling: unknown }).sampling, { probability: 1, policy: 'all', routes: ['labeled_interactions', 'annotation_tasks', 'training_examples'] });
    const task = valueOf(drafts[1]!) as { priority_reason: string; inclusion_probability: number; task_id: string; questions: Array<{ dimension: string }> };
    assert.equal(task.priority_reason, 'negative_with_reason');
    assert.equal(task.inclusion_probability, 1);
    assert.equal(task.task_id, drafts[1]!.recordId);
    assert.ok(task.questions.some((q) => q.dimension === 'factual_accuracy'));
    assert.equal((valueOf(drafts[2]!) as { kind: string }).kind, 'preference');
    assertValidAvro(drafts);
  });

  test('eager updates (final=false) go to labeled_interactions only', () => {
    const { d } = decider();
    const drafts = d.decide(negative({ final: false, closeReason: 'eager_feedback' }));
    assert.deepEqual(topics(drafts), ['labeled_interactions']);
    assert.deepEqual((valueOf(drafts[0]!) as { sampling: { routes: string[] } }).sampling.routes, ['labeled_interactions']);
    assert.equal(d.stats().routes.annotation_tasks.offered, 0);
    assert.equal(d.stats().routes.training_examples.offered, 0);
  });

  test('orphans go to orphaned_feedback only, labeled from their feedback', () => {
    const { d } = decider();
    const r = record(undefined, [thumbsDown('unsafe')], { requestId: 'gone-1', orphanReason: 'interaction not received within the join window' });
    const drafts = d.decide(r);
    assert.deepEqual(topics(drafts), ['orphaned_feedback']);
    assert.deepEqual(r.sampling?.routes, ['orphaned_feedback']);
    assert.ok(r.labels.some((l) => l.dimension === 'safety' && l.value === false));
    assertValidAvro(drafts);
  });

  test('a thumbs-up becomes an SFT example but (by default) rarely a task', () => {
    const { d } = decider({ routes: { annotation_tasks: { policies: [{ type: 'label', value: false }] } } });
    const r = record(interaction({ requestId: 'up-1' }), [feedback({ value: 1 })]);
    const drafts = d.decide(r);
    assert.deepEqual(topics(drafts), ['labeled_interactions', 'training_examples']);
    assert.equal((valueOf(drafts[1]!) as { kind: string }).kind, 'sft');
    assertValidAvro(drafts);
  });

  test('routes can be switched off, and a record dropped from the labeled stream still feeds annotation', () => {
    const { d } = decider({ routes: { labeled_interactions: { policies: [{ type: 'never' }] }, training_examples: { enabled: false } } });
    const r = negative();
    assert.deepEqual(topics(d.decide(r)), ['annotation_tasks']);
    assert.equal(r.sampling, undefined, 'no labeled record is written, so it carries no sampling decision');
  });
});

describe('sampling decisions carry their probability', () => {
  test('probabilistic labeled stream: kept records say p and the deciding policy', () => {
    const { d } = decider({ routes: { labeled_interactions: { policies: [{ type: 'label', name: 'neg', value: false }, { type: 'probabilistic', name: 'some', percentage: 25 }] } } });
    let sawSome = false;
    for (let k = 0; k < 200; k++) {
      const r = record(interaction({ requestId: `pp-${k}` }), [feedback({ value: 1 })]);
      const drafts = d.decide(r);
      if (drafts[0]?.topic !== 'labeled_interactions') continue;
      assert.deepEqual([r.sampling!.probability, r.sampling!.policy], [0.25, 'some']);
      sawSome = true;
    }
    assert.ok(sawSome);
    const neg = negative();
    d.decide(neg);
    assert.deepEqual([neg.sampling!.probability, neg.sampling!.policy], [1, 'neg']);
  });
});

describe('determinism across instances', () => {
  test('two deciders with the same seed keep the same requests; eager and final versions agree', () => {
    const cfg: SampleConfigInput = { seed: 'fleet-wide', routes: { labeled_interactions: { policies: [{ type: 'probabilistic', percentage: 20 }] } } };
    const a = decider(cfg).d;
    const b = decider(cfg).d;
    const other = decider({ ...cfg, seed: 'another' }).d;
    let kept = 0;
    let differs = 0;
    for (let k = 0; k < 1000; k++) {
      const mk = (final: boolean) => record(interaction({ requestId: `inst-${k}` }), [feedback({ value: 1 })], { final, closeReason: final ? 'window_expired' : 'eager_feedback' });
      const ka = topics(a.decide(mk(true))).includes('labeled_interactions');
      assert.equal(topics(b.decide(mk(true))).includes('labeled_interactions'), ka);
      assert.equal(topics(b.decide(mk(false))).includes('labeled_interactions'), ka, 'the eager update gets the same decision');
      if (topics(other.decide(mk(true))).includes('labeled_interactions') !== ka) differs++;
      if (ka) kept++;
    }
    assert.ok(kept > 150 && kept < 250, `kept ${kept}`);
    assert.ok(differs > 100, 'another seed chooses other requests');
  });
});

describe('annotation queue', () => {
  test('priority classes, in order', () => {
    const neg = negative();
    createLabeler(labelConfigSchema.parse({})).label(neg);
    assert.equal(classify(neg, 0.6), 'negative_with_reason');
    const plainNegative = withLabels('pn', [label('overall', false, 'user', 0.9)]);
    assert.equal(classify(plainNegative, 0.6), 'diverse_sample', 'a thumbs-down with no reason is not in the first class');
    assert.equal(classify(withLabels('lc', [label('overall', false, 'implicit', 0.3)]), 0.6), 'low_confidence');
    assert.equal(classify(withLabels('dis', [label('overall', false, 'user', 0.9), label('overall', true, 'judge', 0.7)]), 0.6), 'disagreement');
    assert.equal(classify(withLabels('div', [label('overall', true, 'user', 0.9)]), 0.6), 'diverse_sample');
    assert.equal(classify(withLabels('none'), 0.6), 'diverse_sample');
    assert.ok(priorityOf('negative_with_reason', 1) < priorityOf('low_confidence', 0));
    assert.ok(priorityOf('diverse_sample', 0.1) < priorityOf('diverse_sample', 0.9));
  });

  test('at most N an hour, refilled by the clock; refusals are counted', async () => {
    const { d, ctx } = decider({ routes: { annotation_tasks: { max_per_hour: 60, burst: 2, dedupe: { enabled: false } } } });
    const tasks = (k: number): number => {
      let t = 0;
      for (let j = 0; j < k; j++) if (topics(d.decide(negative())).includes('annotation_tasks')) t++;
      return t;
    };
    assert.equal(tasks(5), 2);
    ctx.clock.advance(60_000);
    assert.equal(tasks(5), 1);
    assert.equal(await ctx.metrics.value('feedback_loop_sample_rate_limited_total', { route: 'annotation_tasks', policy: 'budget' }), 7);
    assert.equal(await ctx.metrics.value('feedback_loop_sample_kept_total', { route: 'annotation_tasks', policy: 'negatives' }), 3);
    assert.equal(d.stats().policies.annotation_tasks!.budget!.rateLimited, 7);
  });

  test('under a tight budget, lower priorities leave room for negatives with a reason', () => {
    const { d } = decider({
      routes: { annotation_tasks: { policies: [{ type: 'always' }], max_per_hour: 60, burst: 4, dedupe: { enabled: false }, priority_reserve: { diverse_sample: 0.5 } } },
    });
    let diverse = 0;
    for (let k = 0; k < 10; k++) {
      const r = record(interaction({ requestId: `div-${k}` }), [feedback({ value: 1 })]);
      if (topics(d.decide(r)).includes('annotation_tasks')) diverse++;
    }
    assert.equal(diverse, 2, 'the diverse sample stops at half the bucket');
    assert.equal(topics(d.decide(negative())).includes('annotation_tasks'), true);
    assert.equal(topics(d.decide(negative())).includes('annotation_tasks'), true);
    assert.equal(d.stats().priorities.negative_with_reason, 2);
    assert.equal(d.stats().priorities.diverse_sample, 2);
  });

  test('the inclusion probability of a budgeted task is p(policy) × admitted/offered (earlier offers of its class)', () => {
    const { d } = decider({ routes: { annotation_tasks: { max_per_hour: 60, burst: 1, dedupe: { enabled: false } } } });
    d.decide(negative());
    d.decide(negative());
    const drafts = d.decide(negative());
    assert.ok(!topics(drafts).includes('annotation_tasks'));
    const { d: d2, ctx } = decider({ routes: { annotation_tasks: { max_per_hour: 60, burst: 1, dedupe: { enabled: false } } } });
    d2.decide(negative());
    d2.decide(negative());
    ctx.clock.advance(60_000);
    const task = d2.decide(negative()).find((x) => x.topic === 'annotation_tasks');
    assert.ok(task);
    // One of the two earlier negatives was admitted.
    assert.equal((valueOf(task) as { inclusion_probability: number }).inclusion_probability, 1 / 2);
  });

  test('stratified quotas: a busy model cannot fill the queue', () => {
    const { d } = decider({ routes: { annotation_tasks: { max_per_hour: null, stratify: { field: 'model', max_per_hour: 60, burst: 3 }, dedupe: { enabled: false } } } });
    const byModel = new Map<string, number>();
    for (let k = 0; k < 40; k++) {
      const model = k % 10 === 0 ? 'rare-model' : 'busy-model';
      n++;
      const r = record(interaction({ requestId: `strat-${k}`, responseModel: model }), [thumbsDown('wrong')]);
      if (topics(d.decide(r)).includes('annotation_tasks')) byModel.set(model, (byModel.get(model) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(byModel), { 'busy-model': 3, 'rare-model': 3 });
    assert.equal(d.stats().policies.annotation_tasks!.stratify!.rateLimited, 34);
  });

  test('near-duplicate prompts are suppressed; a refused record does not block its twins', async () => {
    const prompt = 'How do I export my billing history as a CSV file from the admin console?';
    const { d, ctx } = decider({ routes: { annotation_tasks: { max_per_hour: null } } });
    assert.ok(topics(d.decide(negative({}, prompt))).includes('annotation_tasks'));
    assert.ok(!topics(d.decide(negative({}, prompt.replace('?', '!')))).includes('annotation_tasks'));
    assert.ok(topics(d.decide(negative({}, 'Which regions does the managed Kafka offering support today?'))).includes('annotation_tasks'));
    assert.equal(await ctx.metrics.value('feedback_loop_sample_dropped_total', { route: 'annotation_tasks', policy: 'near_duplicate' }), 1);

    const off = decider({ routes: { annotation_tasks: { max_per_hour: null, dedupe: { enabled: false } } } }).d;
    assert.ok(topics(off.decide(negative({}, prompt))).includes('annotation_tasks'));
    assert.ok(topics(off.decide(negative({}, prompt))).includes('annotation_tasks'));

    const tight = decider({ routes: { annotation_tasks: { max_per_hour: 60, burst: 1 } } });
    assert.ok(topics(tight.d.decide(negative({}, 'first distinct question about invoices'))).includes('annotation_tasks'));
    assert.ok(!topics(tight.d.decide(negative({}, prompt))).includes('annotation_tasks'), 'refused by the budget');
    tight.ctx.clock.advance(60_000);
    assert.ok(topics(tight.d.decide(negative({}, prompt))).includes('annotation_tasks'), 'its twin is not blocked');
  });
});

describe('training route', () => {
  test('examples carry the route probability', () => {
    const { d } = decider({ routes: { training_examples: { policies: [{ type: 'probabilistic', percentage: 50 }] } } });
    let kept = 0;
    for (let k = 0; k < 100; k++) {
      const ex = d.decide(negative()).find((x) => x.topic === 'training_examples');
      if (!ex) continue;
      kept++;
      assert.equal((valueOf(ex) as { inclusion_probability: number }).inclusion_probability, 0.5);
    }
    assert.ok(kept > 25 && kept < 75);
    assert.equal(d.stats().routes.training_examples.offered, 100, 'every negative with a correction is eligible');
  });

  test('ineligible records spend no budget', () => {
    const { d } = decider({ routes: { training_examples: { max_per_hour: 60, burst: 1 } } });
    for (let k = 0; k < 5; k++) d.decide(record(interaction({ requestId: `plain-${k}` }), []));
    assert.ok(topics(d.decide(negative())).includes('training_examples'));
  });
});

describe('stats, describe, reload', () => {
  test('stats: per route, per policy, and the label mix', () => {
    const { d } = decider();
    d.decide(negative());
    d.decide(negative({ final: false, closeReason: 'eager_feedback' }));
    d.decide(record(interaction({ requestId: 'pos-1' }), [feedback({ value: 1 })]));
    d.decide(record(undefined, [thumbsDown()], { requestId: 'orph' }));
    const s = d.stats();
    assert.deepEqual([s.records, s.final, s.eager, s.orphans], [4, 2, 1, 1]);
    assert.deepEqual(s.routes.labeled_interactions, { offered: 3, kept: 3 });
    assert.deepEqual(s.routes.orphaned_feedback, { offered: 1, kept: 1 });
    assert.equal(s.policies.annotation_tasks!.negatives!.kept, 1);
    // eager updates are not counted in the mix: one negative final (2 labels on overall: thumbs + correction), one positive, one orphan
    assert.deepEqual(s.labels.overall, { true: 1, false: 3 });
    assert.deepEqual(s.labels.factual_accuracy, { true: 0, false: 2 });
    s.records = 99;
    assert.equal(d.stats().records, 4, 'stats() returns a copy');
  });

  test('describe() names every route and policy', () => {
    const { d } = decider({ routes: { annotation_tasks: { stratify: { field: 'prompt_version', max_per_hour: 20 } } } });
    const text = d.describe();
    for (const want of ['labeled_interactions: all=always', 'negatives=label(*=false, source∈{user,expert,judge})', 'rest=probabilistic(2%)', 'stratify(prompt_version', 'budget(500/h', 'training_examples']) {
      assert.ok(text.includes(want), `describe() lacks ${want}:\n${text}`);
    }
  });

  test('a new decider for a new config starts with fresh budgets and counts', () => {
    const ctx = testContext();
    const cfg = { routes: { annotation_tasks: { max_per_hour: 60, burst: 1, dedupe: { enabled: false } } } };
    const first = decider(cfg, {}, ctx).d;
    assert.ok(topics(first.decide(negative())).includes('annotation_tasks'));
    assert.ok(!topics(first.decide(negative())).includes('annotation_tasks'));
    const second = decider(cfg, {}, ctx).d;
    assert.ok(topics(second.decide(negative())).includes('annotation_tasks'));
    assert.equal(second.stats().records, 1);
  });

  test('a label policy on an unknown dimension is a config error', () => {
    assert.throws(
      () => decider({ routes: { annotation_tasks: { policies: [{ type: 'label', dimension: 'helpfulness', value: false }] } } }),
      (e: unknown) => e instanceof FeedbackLoopError && e.code === 'config_invalid' && e.message.includes('sample.routes.annotation_tasks.policies[0].dimension'),
    );
    assert.doesNotThrow(() =>
      decider({ routes: { annotation_tasks: { policies: [{ type: 'label', dimension: 'helpfulness', value: false }] } } }, { dimensions: [{ name: 'helpfulness', criterion: 'Helps.' }] }),
    );
  });
});
