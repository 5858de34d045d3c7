import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createLabeler, labelConfigSchema } from '../../../src/stages/label';
import { splitKey, splitOf } from '../../../src/stages/sample';
import { trainingCandidates, type TrainingOptions } from '../../../src/stages/sample/training';
import type { FeedbackSignal, Interaction, LabeledRecord } from '../../../src/model';
import { feedback, interaction } from '../../helpers/events';
import { record } from '../label/record';

const OPTIONS: TrainingOptions = {
  sft: { enabled: true, minQualityScore: 0.7 },
  preference: { enabled: true, from: new Set(['correction', 'edit']) },
  evalShare: 0.1,
  splitSeed: 'split-v1',
};
const labeler = createLabeler(labelConfigSchema.parse({}));

function labeled(i: Interaction, signals: FeedbackSignal[]): LabeledRecord {
  const r = record(i, signals);
  labeler.label(r);
  return r;
}

describe('preference pairs', () => {
  test('from a correction: chosen = corrected text, rejected = the original output', () => {
    const i = interaction({ requestId: 'pc' });
    const fix = feedback({ feedbackKind: 'correction', value: undefined, text: 'Go to Settings → Security → Reset password.', source: 'expert' });
    const [ex, ...more] = trainingCandidates(labeled(i, [fix]), OPTIONS);
    assert.equal(more.length, 0, 'a correction is negative: no SFT example');
    assert.equal(ex!.kind, 'preference');
    assert.equal(ex!.source, 'correction');
    assert.deepEqual(ex!.chosen, [{ role: 'assistant', parts: [{ type: 'text', content: 'Go to Settings → Security → Reset password.' }] }]);
    assert.deepEqual(ex!.rejected, i.outputMessages);
    assert.deepEqual(ex!.prompt, i.inputMessages);
    assert.deepEqual(ex!.sourceSignalIds, [fix.signalId]);
    assert.equal(ex!.lineage.responseModel, i.responseModel);
  });

  test('from an edit, and one pair per signal', () => {
    const i = interaction({ requestId: 'pe' });
    const edit = feedback({ feedbackKind: 'edit', value: undefined, text: 'Open settings, choose "Reset", confirm by email.' });
    const fix = feedback({ feedbackKind: 'correction', value: undefined, text: 'Use the reset link.' });
    const examples = trainingCandidates(labeled(i, [edit, fix]), OPTIONS);
    assert.deepEqual(examples.map((e) => e.source).sort(), ['correction', 'edit']);
    assert.equal(new Set(examples.map((e) => e.exampleId)).size, 2);
  });

  test('no pair when the text equals the output, when the signal is implicit, or when edits are not wanted', () => {
    const i = interaction({ requestId: 'pn' });
    const same = feedback({ feedbackKind: 'edit', value: undefined, text: ' Open settings and choose reset. ' });
    const implicit = feedback({ feedbackKind: 'edit', name: 'edit_distance', value: 0.5, source: 'implicit', text: 'x' });
    assert.deepEqual(trainingCandidates(labeled(i, [same, implicit]), OPTIONS), []);
    const edit = feedback({ feedbackKind: 'edit', value: undefined, text: 'Different.' });
    assert.deepEqual(trainingCandidates(labeled(i, [edit]), { ...OPTIONS, preference: { enabled: true, from: new Set(['correction']) } }), []);
  });

  test('no pair without captured output', () => {
    const i = interaction({ requestId: 'po', outputMessages: [] });
    assert.deepEqual(trainingCandidates(labeled(i, [feedback({ feedbackKind: 'correction', value: undefined, text: 'Fixed.' })]), OPTIONS), []);
  });
});

describe('SFT examples', () => {
  test('from a thumbs-up: chosen = the output, no rejected', () => {
    const i = interaction({ requestId: 'sft1' });
    const up = feedback({ value: 1 });
    const [ex, ...more] = trainingCandidates(labeled(i, [up]), OPTIONS);
    assert.equal(more.length, 0);
    assert.deepEqual([ex!.kind, ex!.source, ex!.rejected], ['sft', 'positive_feedback', undefined]);
    assert.deepEqual(ex!.chosen, i.outputMessages);
    assert.deepEqual(ex!.sourceSignalIds, [up.signalId]);
    assert.equal(ex!.qualityScore, 1);
  });

  test('a verifiable failure vetoes it (truncated output with a thumbs-up)', () => {
    const i = interaction({ requestId: 'sft2', finishReasons: ['length'] });
    assert.deepEqual(trainingCandidates(labeled(i, [feedback({ value: 1 })]), OPTIONS), []);
  });

  test('below the quality threshold, or with only implicit approval: none', () => {
    const i = interaction({ requestId: 'sft3' });
    const mixed = [feedback({ value: 1 }), feedback({ feedbackKind: 'retry', name: 'reformulation', value: 0.9, source: 'implicit' })];
    assert.equal(trainingCandidates(labeled(i, mixed), { ...OPTIONS, sft: { enabled: true, minQualityScore: 0.95 } }).length, 0);
    const movedOn = [feedback({ feedbackKind: 'accept', name: 'moved_on', value: 0.9, source: 'implicit' })];
    assert.equal(trainingCandidates(labeled(i, movedOn), OPTIONS).length, 0);
  });

  test('a judge-only approval is marked as such', () => {
    const i = interaction({ requestId: 'sft4' });
    const [ex] = trainingCandidates(labeled(i, [feedback({ feedbackKind: 'evaluation', name: 'helpfulness', value: 0.9, source: 'judge' })]), OPTIONS);
    assert.equal(ex!.source, 'judge');
  });

  test('the same record gives the same ids', () => {
    const i = interaction({ requestId: 'sft5' });
    const up = feedback({ value: 1 });
    assert.equal(trainingCandidates(labeled(i, [up]), OPTIONS)[0]!.exampleId, trainingCandidates(labeled(i, [up]), OPTIONS)[0]!.exampleId);
  });
});

describe('train/eval split', () => {
  test('by conversation, else user, else request', () => {
    assert.equal(splitKey(interaction({ conversationId: 'c', userId: 'u' }), 'r'), 'conversation:c');
    assert.equal(splitKey(interaction({ userId: 'u' }), 'r'), 'user:u');
    assert.equal(splitKey(interaction(), 'r'), 'request:r');
  });

  test('a conversation never lands in both splits; the eval share is ≈ eval_share (±2 points over 3000)', () => {
    const splitsOf = new Map<string, Set<string>>();
    let evalCount = 0;
    for (let c = 0; c < 3000; c++) {
      for (let turn = 0; turn < 4; turn++) {
        const i = interaction({ requestId: `conv${c}-turn${turn}`, conversationId: `conv-${c}`, userId: `user-${turn}` });
        const split = splitOf(i, i.requestId, 0.1, 'split-v1');
        const set = splitsOf.get(`conv-${c}`) ?? new Set();
        set.add(split);
        splitsOf.set(`conv-${c}`, set);
      }
      if (splitsOf.get(`conv-${c}`)!.has('eval')) evalCount++;
    }
    for (const [conv, splits] of splitsOf) assert.equal(splits.size, 1, `${conv} is in both splits`);
    assert.ok(Math.abs(evalCount / 3000 - 0.1) < 0.02, `eval share ${evalCount / 3000}`);
  });

  test('stable across calls and seeds matter', () => {
    const i = interaction({ conversationId: 'stable-1' });
    const first = splitOf(i, 'r1', 0.5, 's');
    for (let k = 0; k < 10; k++) assert.equal(splitOf(i, `r${k}`, 0.5, 's'), first);
    let moved = 0;
    for (let k = 0; k < 200; k++) {
      const j = interaction({ conversationId: `c${k}` });
      if (splitOf(j, 'r', 0.5, 's') !== splitOf(j, 'r', 0.5, 't')) moved++;
    }
    assert.ok(moved > 50, 'another seed reshuffles');
  });

  test('examples carry the split of their conversation', () => {
    const a = interaction({ requestId: 'x1', conversationId: 'conv-split' });
    const b = interaction({ requestId: 'x2', conversationId: 'conv-split' });
    const sa = trainingCandidates(labeled(a, [feedback({ value: 1 })]), OPTIONS)[0]!.split;
    const sb = trainingCandidates(labeled(b, [feedback({ value: 1 })]), OPTIONS)[0]!.split;
    assert.equal(sa, sb);
  });
});
