import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { unitHash } from '../../../src/stages/sample';
import { feedback, interaction } from '../../helpers/events';
import { record } from '../label/record';
import { label, policy, testContext, withLabels } from './helpers';

describe('always / never', () => {
  test('always keeps with probability 1, never drops', () => {
    assert.deepEqual(policy({ type: 'always' }).policy.evaluate(withLabels('a')), { keep: true, probability: 1 });
    assert.deepEqual(policy({ type: 'never' }).policy.evaluate(withLabels('a')), { keep: false, probability: 0 });
  });
});

describe('probabilistic', () => {
  test('the hash is the documented one: SHA-256(seed \\0 salt \\0 id), first 48 bits / 2^48', () => {
    const d = createHash('sha256').update('s1\u0000x\u0000req-42').digest();
    assert.equal(unitHash('s1', 'x', 'req-42'), parseInt(d.subarray(0, 6).toString('hex'), 16) / 2 ** 48);
  });

  test('the same request gets the same decision from two policies with the same seed', () => {
    const a = policy({ type: 'probabilistic', percentage: 30 }, testContext(), 'shared').policy;
    const b = policy({ type: 'probabilistic', percentage: 30 }, testContext(), 'shared').policy;
    const other = policy({ type: 'probabilistic', percentage: 30 }, testContext(), 'different').policy;
    let differs = 0;
    for (let k = 0; k < 2000; k++) {
      const r = withLabels(`req-${k}`);
      const d = a.evaluate(r);
      assert.deepEqual(b.evaluate(r), d);
      assert.equal(d.probability, 0.3);
      if (other.evaluate(r).keep !== d.keep) differs++;
    }
    assert.ok(differs > 500, 'another seed makes other choices');
  });

  test('keeps ≈ p of 10,000 ids (±1.2 points: 4 standard deviations at p = 10%)', () => {
    const p = policy({ type: 'probabilistic', percentage: 10 }).policy;
    let kept = 0;
    for (let k = 0; k < 10_000; k++) if (p.evaluate(withLabels(`chatcmpl-${k}-${k * 7919}`)).keep) kept++;
    assert.ok(Math.abs(kept / 10_000 - 0.1) <= 0.012, `kept ${kept}`);
  });

  test('same salt nests: what 1% keeps, 5% keeps too', () => {
    const small = policy({ type: 'probabilistic', percentage: 1 }).policy;
    const large = policy({ type: 'probabilistic', percentage: 5 }).policy;
    for (let k = 0; k < 5000; k++) {
      const r = withLabels(`n-${k}`);
      if (small.evaluate(r).keep) assert.equal(large.evaluate(r).keep, true);
    }
  });

  test('0% keeps nothing, 100% everything', () => {
    assert.equal(policy({ type: 'probabilistic', percentage: 0 }).policy.evaluate(withLabels('z')).keep, false);
    assert.equal(policy({ type: 'probabilistic', percentage: 100 }).policy.evaluate(withLabels('z')).keep, true);
  });
});

describe('attribute', () => {
  const r = record(interaction({ requestId: 'a1', responseModel: 'gpt-4o-2024-08-06', promptVersion: 'v7', extra: { 'app.tenant': 'acme' }, finishReasons: ['tool_calls', 'stop'] }));
  const keeps = (cfg: Record<string, unknown>): boolean => policy({ type: 'attribute', ...cfg } as never).policy.evaluate(r).keep;
  test('exact, list, regex', () => {
    assert.equal(keeps({ field: 'prompt_version', value: 'v7' }), true);
    assert.equal(keeps({ field: 'prompt_version', value: 'v8' }), false);
    assert.equal(keeps({ field: 'prompt_version', values: ['v6', 'v7'] }), true);
    assert.equal(keeps({ field: 'model', regex: '^gpt-4o' }), true);
    assert.equal(keeps({ field: 'model', regex: '(?i)^GPT-5' }), false);
  });
  test('extra attributes, multi-valued fields, invert', () => {
    assert.equal(keeps({ field: 'extra.app.tenant', value: 'acme' }), true);
    assert.equal(keeps({ field: 'finish_reason', value: 'stop' }), true);
    assert.equal(keeps({ field: 'extra.app.tenant', value: 'acme', invert: true }), false);
    assert.equal(keeps({ field: 'extra.missing', value: 'x', invert: true }), true, 'a record without the field does not match, so invert keeps it');
  });
  test('toString shows the match', () => {
    assert.equal(String(policy({ type: 'attribute', name: 'gpt4', field: 'model', regex: '^gpt-4' }).policy), 'gpt4=attribute(model ~ /^gpt-4/)');
  });
});

describe('numeric', () => {
  const r = record(interaction({ requestId: 'n1', latencyMs: 2500, usage: { inputTokens: 100, outputTokens: 50 } }), [], { qualityScore: 0.2 });
  const keeps = (cfg: Record<string, unknown>): boolean => policy({ type: 'numeric', ...cfg } as never).policy.evaluate(r).keep;
  test('ranges are inclusive; either bound optional', () => {
    assert.equal(keeps({ field: 'latency_ms', min: 2000 }), true);
    assert.equal(keeps({ field: 'latency_ms', min: 2000, max: 2500 }), true);
    assert.equal(keeps({ field: 'latency_ms', max: 2499 }), false);
    assert.equal(keeps({ field: 'total_tokens', min: 150, max: 150 }), true, 'input + output when no total');
    assert.equal(keeps({ field: 'quality_score', max: 0.3 }), true);
  });
  test('a missing field does not match', () => {
    assert.equal(keeps({ field: 'time_to_first_chunk_ms', min: 0 }), false);
  });
});

describe('label', () => {
  const r = withLabels('l1', [label('overall', false, 'implicit', 0.3), label('format_compliance', false, 'rule', 1), label('safety', true, 'judge', 0.7)]);
  const keeps = (cfg: Record<string, unknown>): boolean => policy({ type: 'label', ...cfg } as never).policy.evaluate(r).keep;
  test('dimension = value', () => {
    assert.equal(keeps({ dimension: 'format_compliance', value: false }), true);
    assert.equal(keeps({ dimension: 'safety', value: false }), false);
  });
  test('source and confidence filters', () => {
    assert.equal(keeps({ dimension: 'overall', value: false, source: ['user', 'expert'] }), false);
    assert.equal(keeps({ dimension: 'overall', value: false, source: 'implicit' }), true);
    assert.equal(keeps({ value: false, min_confidence: 0.5 }), true, 'the rule label');
    assert.equal(keeps({ value: false, min_confidence: 0.5, source: 'implicit' }), false);
  });
});

describe('feedback', () => {
  const r = record(interaction({ requestId: 'f1' }), [feedback({ value: 0, reason: 'Wrong' }), feedback({ feedbackKind: 'evaluation', name: 'toxicity', value: 0.1, source: 'judge' })]);
  const keeps = (cfg: Record<string, unknown>): boolean => policy({ type: 'feedback', ...cfg } as never).policy.evaluate(r).keep;
  test('kind / reason / source / name, all on one signal', () => {
    assert.equal(keeps({}), true, 'any feedback');
    assert.equal(keeps({ kind: 'thumbs', reason: 'wrong' }), true);
    assert.equal(keeps({ kind: 'thumbs', source: 'judge' }), false);
    assert.equal(keeps({ signal_name: 'Toxicity', source: 'judge' }), true);
    assert.equal(keeps({ kind: ['correction', 'edit'] }), false);
  });
  test('no feedback → no match', () => {
    assert.equal(policy({ type: 'feedback' }).policy.evaluate(withLabels('none')).keep, false);
  });
});

describe('rate_limit', () => {
  test('a bucket of `burst`, refilled on the clock; probability = admitted / offered before this record', () => {
    const ctx = testContext();
    const { policy: p, limited } = policy({ type: 'rate_limit', name: 'rl', per_second: 2, burst: 2 }, ctx);
    const r = withLabels('x');
    assert.equal(p.evaluate(r).keep, true);
    assert.equal(p.evaluate(r).keep, true);
    assert.equal(p.evaluate(r).keep, false);
    assert.deepEqual(limited, ['rl']);
    ctx.clock.advance(500); // one token back
    const fourth = p.evaluate(r);
    assert.deepEqual([fourth.keep, fourth.probability], [true, 2 / 3]);
    assert.equal(p.evaluate(r).keep, false);
    assert.equal(p.probability(r), 3 / 5, 'probability() takes no token');
    assert.equal(p.probability(r), 3 / 5);
  });
});

describe('and / or / not', () => {
  const neg = { type: 'label', value: false } as const;
  test('and: all must keep; later policies are not asked after a drop (no token spent)', () => {
    const ctx = testContext();
    const { policy: p } = policy({ type: 'and', policies: [neg, { type: 'rate_limit', per_second: 1, burst: 1 }] }, ctx);
    assert.equal(p.evaluate(withLabels('pos', [label('overall', true)])).keep, false);
    assert.equal(p.evaluate(withLabels('neg', [label('overall', false)])).keep, true, 'the token is still there');
    assert.equal(p.evaluate(withLabels('neg2', [label('overall', false)])).keep, false);
  });

  test('and: probability is the product', () => {
    const { policy: p } = policy({ type: 'and', policies: [neg, { type: 'probabilistic', percentage: 20, salt: 'a' }, { type: 'probabilistic', percentage: 50, salt: 'b' }] });
    for (let k = 0; k < 200; k++) {
      const d = p.evaluate(withLabels(`p${k}`, [label('overall', false)]));
      assert.ok(Math.abs(d.probability - 0.1) < 1e-12);
    }
    assert.equal(p.evaluate(withLabels('q', [label('overall', true)])).probability, 0);
  });

  test('or: first keep wins; probability 1 − Π(1 − p)', () => {
    const { policy: p } = policy({ type: 'or', policies: [neg, { type: 'probabilistic', percentage: 5 }] });
    assert.deepEqual(p.evaluate(withLabels('n', [label('overall', false)])), { keep: true, probability: 1 });
    let kept = 0;
    for (let k = 0; k < 4000; k++) {
      const d = p.evaluate(withLabels(`o${k}`, [label('overall', true)]));
      assert.ok(Math.abs(d.probability - 0.05) < 1e-12);
      if (d.keep) kept++;
    }
    assert.ok(kept > 120 && kept < 280, `kept ${kept}`);
    const both = policy({ type: 'or', policies: [{ type: 'probabilistic', percentage: 50, salt: 'a' }, { type: 'probabilistic', percentage: 50, salt: 'b' }] }).policy;
    assert.equal(both.probability(withLabels('b')), 0.75);
  });

  test('not: inverts, probability 1 − p', () => {
    const { policy: p } = policy({ type: 'not', policy: { type: 'attribute', field: 'environment', value: 'test' } });
    const test = record(interaction({ requestId: 't', resource: { environment: 'test' } }));
    const prod = record(interaction({ requestId: 'p', resource: { environment: 'prod' } }));
    assert.deepEqual(p.evaluate(test), { keep: false, probability: 0 });
    assert.deepEqual(p.evaluate(prod), { keep: true, probability: 1 });
    const sampled = policy({ type: 'not', policy: { type: 'probabilistic', percentage: 10 } }).policy;
    assert.ok(Math.abs(sampled.evaluate(prod).probability - 0.9) < 1e-12);
  });
});

describe('composite', () => {
  test('each sub-policy spends only its share; a spent share leaves the record to the next', () => {
    const ctx = testContext();
    const { policy: p, limited } = policy(
      {
        type: 'composite',
        name: 'c',
        per_second: 10,
        burst: 10,
        policies: [
          { share: 30, policy: { type: 'label', name: 'neg', value: false } },
          { share: 70, policy: { type: 'always', name: 'rest' } },
        ],
      },
      ctx,
    );
    const negative = withLabels('n', [label('overall', false)]);
    const positive = withLabels('p', [label('overall', true)]);
    let negKept = 0;
    for (let k = 0; k < 3; k++) if (p.evaluate(negative).keep) negKept++;
    assert.equal(negKept, 3, 'the negatives share: 30% of a burst of 10');
    // The 4th negative finds its share spent and is kept by the `rest` share instead.
    assert.equal(p.evaluate(negative).keep, true);
    assert.deepEqual(limited, ['neg']);
    let posKept = 0;
    for (let k = 0; k < 10; k++) if (p.evaluate(positive).keep) posKept++;
    assert.equal(posKept, 6, '7 tokens in the rest share, one taken by the overflow negative');
    ctx.clock.advance(1000);
    assert.equal(p.evaluate(positive).keep, true, 'refilled');
  });

  test('probability combines each part’s policy probability and budget ratio', () => {
    const { policy: p } = policy({
      type: 'composite',
      per_hour: 3600,
      policies: [
        { share: 50, policy: { type: 'label', value: false } },
        { share: 50, policy: { type: 'probabilistic', percentage: 10 } },
      ],
    });
    assert.ok(Math.abs(p.probability(withLabels('x', [label('overall', true)])) - 0.1) < 1e-12);
    assert.equal(p.probability(withLabels('y', [label('overall', false)])), 1);
  });
});
