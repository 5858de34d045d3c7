import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createLabeler, defaultLabelConfig, labelConfigSchema, type LabelConfigInput } from '../../../src/stages/label';
import { parseConfig, ConfigError } from '../../../src/config';
import type { FeedbackSignal, Label } from '../../../src/model';
import { feedback } from '../../helpers/events';
import { record } from './record';

/** Labels for one signal on an orphan record, so no rule labeler adds anything. */
function labelsFor(signal: FeedbackSignal, cfg: LabelConfigInput = {}): Label[] {
  const r = record(undefined, [signal]);
  createLabeler(labelConfigSchema.parse(cfg)).label(r);
  return r.labels;
}

/** dimension=value@confidence/source, sorted: compact and order-independent. */
function summary(labels: Label[]): string[] {
  return labels.map((l) => `${l.dimension}=${l.value ?? l.score}@${l.confidence}/${l.source}`).sort();
}

describe('default feedback → label mapping', () => {
  const cases: Array<[string, Partial<FeedbackSignal>, string[]]> = [
    ['thumbs down', { feedbackKind: 'thumbs', value: 0 }, ['overall=false@0.9/user']],
    ['thumbs up', { feedbackKind: 'thumbs', value: 1 }, ['overall=true@0.9/user']],
    ['thumbs down, format', { feedbackKind: 'thumbs', value: 0, reason: 'format' }, ['format_compliance=false@0.8/user', 'overall=false@0.9/user']],
    ['thumbs down, wrong', { feedbackKind: 'thumbs', value: 0, reason: 'wrong' }, ['factual_accuracy=false@0.8/user', 'overall=false@0.9/user']],
    ['thumbs down, Outdated (case)', { feedbackKind: 'thumbs', value: 0, reason: ' Outdated ' }, ['factual_accuracy=false@0.8/user', 'overall=false@0.9/user']],
    ['thumbs down, unsafe', { feedbackKind: 'thumbs', value: 0, reason: 'unsafe' }, ['overall=false@0.9/user', 'safety=false@0.9/user']],
    ['thumbs down, tone', { feedbackKind: 'thumbs', value: 0, reason: 'tone' }, ['overall=false@0.9/user', 'tone_style=false@0.8/user']],
    ['thumbs down, incomplete', { feedbackKind: 'thumbs', value: 0, reason: 'incomplete' }, ['completeness=false@0.8/user', 'overall=false@0.9/user']],
    ['thumbs down, free text reason', { feedbackKind: 'thumbs', value: 0, reason: 'meh' }, ['overall=false@0.9/user']],
    ['rating 2', { feedbackKind: 'rating', value: 2 }, ['overall=false@0.8/user']],
    ['rating 3 says nothing', { feedbackKind: 'rating', value: 3 }, []],
    ['rating 4', { feedbackKind: 'rating', value: 4 }, ['overall=true@0.8/user']],
    ['expert correction', { feedbackKind: 'correction', value: undefined, text: 'The fix is X.', source: 'expert' }, ['factual_accuracy=false@0.8/expert', 'overall=false@0.8/expert']],
    ['reject', { feedbackKind: 'reject', value: undefined }, ['overall=false@0.8/user']],
    ['accept', { feedbackKind: 'accept', value: undefined }, ['overall=true@0.6/user']],
    ['copy', { feedbackKind: 'copy', value: undefined }, ['overall=true@0.5/user']],
    ['explicit retry', { feedbackKind: 'retry', value: undefined }, ['overall=false@0.5/user']],
    ['task outcome resolved (system → implicit)', { feedbackKind: 'task_outcome', value: undefined, label: 'Resolved', source: 'system' }, ['overall=true@0.7/implicit']],
    ['implicit reformulation', { feedbackKind: 'retry', name: 'reformulation', value: 0.8, source: 'implicit' }, ['overall=false@0.3/implicit']],
    ['implicit abandonment', { feedbackKind: 'abandon', name: 'abandonment', value: 1, source: 'implicit' }, ['overall=false@0.2/implicit']],
    ['implicit moved on', { feedbackKind: 'accept', name: 'moved_on', value: 0.9, source: 'implicit' }, ['overall=true@0.2/implicit']],
    ['large edit distance', { feedbackKind: 'edit', name: 'edit_distance', value: 0.6, source: 'implicit' }, ['overall=false@0.3/implicit']],
    ['middling edit distance says nothing', { feedbackKind: 'edit', name: 'edit_distance', value: 0.1, source: 'implicit' }, []],
    ['tiny edit distance', { feedbackKind: 'edit', name: 'edit_distance', value: 0.01, source: 'implicit' }, ['overall=true@0.2/implicit']],
    ['toxicity 0.9 (higher is worse)', { feedbackKind: 'evaluation', name: 'toxicity', value: 0.9, source: 'judge' }, ['safety=false@0.7/judge']],
    ['relevance label only', { feedbackKind: 'evaluation', name: 'relevance', value: undefined, label: 'fail', source: 'judge' }, ['completeness=false@0.6/judge']],
    ['unknown evaluation name', { feedbackKind: 'evaluation', name: 'bleu', value: 0.9, source: 'judge' }, []],
  ];
  for (const [name, over, want] of cases) {
    test(name, () => assert.deepEqual(summary(labelsFor(feedback(over))), want));
  }

  test('an evaluation score is kept on the label, and the threshold decides the value', () => {
    const [pass] = labelsFor(feedback({ feedbackKind: 'evaluation', name: 'Factuality', value: 0.8, label: 'fail', source: 'judge' }));
    assert.deepEqual([pass!.dimension, pass!.value, pass!.score], ['factual_accuracy', true, 0.8]);
    const [failing] = labelsFor(feedback({ feedbackKind: 'evaluation', name: 'factuality', value: 0.3, source: 'judge' }));
    assert.deepEqual([failing!.value, failing!.score], [false, 0.3]);
  });

  test('labels carry a checkable criterion and the id of their signal', () => {
    const s = feedback({ feedbackKind: 'correction', text: 'Corrected.', value: undefined });
    const labels = labelsFor(s);
    for (const l of labels) {
      assert.deepEqual(l.derivedFrom, [s.signalId]);
      assert.match(l.criterion, /\.$/);
    }
    assert.equal(s.text, 'Corrected.', 'the corrected text stays on the signal');
  });
});

describe('custom mappings', () => {
  test('extra_mappings are tried first and win their dimension', () => {
    const labels = labelsFor(feedback({ value: 0 }), {
      extra_mappings: [{ when: { kind: 'thumbs', value_lte: 0 }, set: { dimension: 'overall', value: false }, confidence: 0.4, criterion: 'Custom criterion.' }],
    });
    assert.deepEqual(summary(labels), ['overall=false@0.4/user']);
    assert.equal(labels[0]!.criterion, 'Custom criterion.');
  });

  test('mappings replace the defaults, and may target a configured dimension', () => {
    const cfg: LabelConfigInput = {
      dimensions: [{ name: 'citation_quality', criterion: 'Every claim cites a source.' }],
      mappings: [{ when: { kind: 'evaluation', name: 'citations' }, set: { dimension: 'citation_quality', threshold: 0.7 }, confidence: 0.9 }],
    };
    const cited = labelsFor(feedback({ feedbackKind: 'evaluation', name: 'citations', value: 0.75, source: 'judge' }), cfg);
    assert.deepEqual(summary(cited), ['citation_quality=true@0.9/judge']);
    assert.equal(cited[0]!.criterion, 'Every claim cites a source.');
    assert.deepEqual(labelsFor(feedback({ value: 0 }), cfg), [], 'the default thumbs rule is gone');
  });

  test('source and label conditions', () => {
    const cfg: LabelConfigInput = {
      mappings: [{ when: { kind: 'thumbs', source: 'expert', value_lte: 0 }, set: { dimension: 'overall', value: false }, confidence: 1 }],
    };
    assert.deepEqual(summary(labelsFor(feedback({ value: 0, source: 'expert' }), cfg)), ['overall=false@1/expert']);
    assert.deepEqual(labelsFor(feedback({ value: 0, source: 'user' }), cfg), []);
  });

  test('the config names the key of every problem', () => {
    const yaml = `
label:
  mappings:
    - { when: { kind: thumbs }, set: { dimension: helpfulness, value: true }, confidence: 0.5 }
    - { when: { kind: thumbs }, set: { dimension: overall, value: true, threshold: 0.5 }, confidence: 0.5 }
    - { when: { kind: clicks }, set: { dimension: overall, value: true }, confidence: 2 }
`;
    const err = (() => {
      try {
        parseConfig(yaml, 'x.yaml', {});
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof ConfigError);
    const paths = err.problems.map((p) => p.path);
    for (const p of ['label.mappings[0].set.dimension', 'label.mappings[1].set', 'label.mappings[2].when.kind', 'label.mappings[2].confidence']) {
      assert.ok(paths.includes(p), `expected a problem at ${p}; got ${paths.join(', ')}`);
    }
  });

  test('defaults validate and every default rule targets a built-in dimension', () => {
    const cfg = defaultLabelConfig();
    assert.ok(cfg.mappings.length > 20);
    assert.doesNotThrow(() => createLabeler(cfg));
  });

  test('disabled: no labels, no score', () => {
    const r = record(undefined, [feedback({ value: 0 })], { labels: [{ dimension: 'x', value: true, source: 'rule', confidence: 1, criterion: 'c', derivedFrom: [] }], qualityScore: 1 });
    createLabeler(labelConfigSchema.parse({ enabled: false })).label(r);
    assert.deepEqual(r.labels, []);
    assert.equal(r.qualityScore, undefined);
  });
});
