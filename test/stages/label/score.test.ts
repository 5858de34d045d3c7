import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLabeler, labelConfigSchema, qualityScore, type SourceWeights } from '../../../src/stages/label';
import type { Label, LabelSource } from '../../../src/model';
import { feedback, interaction } from '../../helpers/events';
import { record } from './record';

const W: SourceWeights = { expert: 1, user: 0.8, judge: 0.6, rule: 0.5, implicit: 0.2 };
const L = (source: LabelSource, value: boolean | undefined, confidence: number, score?: number): Label => ({
  dimension: 'overall',
  value,
  score,
  source,
  confidence,
  criterion: 'c.',
  derivedFrom: [],
});

test('no labels → undefined, not a middling score', () => {
  assert.equal(qualityScore([], W), undefined);
  assert.equal(qualityScore([L('user', undefined, 1)], W), undefined);
});

test('weighted by source and confidence', () => {
  // user true (0.8·0.9 = 0.72) vs implicit false (0.2·0.3 = 0.06): 0.72 / 0.78
  assert.ok(Math.abs(qualityScore([L('user', true, 0.9), L('implicit', false, 0.3)], W)! - 0.72 / 0.78) < 1e-12);
  // expert outweighs user
  assert.ok(qualityScore([L('expert', false, 0.8), L('user', true, 0.8)], W)! < 0.5);
});

test('score-only labels count by their score, clamped to 0..1', () => {
  assert.equal(qualityScore([L('judge', undefined, 1, 0.25)], W), 0.25);
  assert.equal(qualityScore([L('judge', undefined, 1, 7)], W), 1);
});

test('a zero weight leaves a source out', () => {
  assert.equal(qualityScore([L('implicit', false, 1), L('user', true, 1)], { ...W, implicit: 0 }), 1);
  assert.equal(qualityScore([L('implicit', false, 1)], { ...W, implicit: 0 }), undefined);
});

test('the labeler sets record.qualityScore from its configured weights', () => {
  const r = record(interaction(), [feedback({ value: 1 }), feedback({ feedbackKind: 'retry', name: 'reformulation', value: 0.9, source: 'implicit' })]);
  createLabeler(labelConfigSchema.parse({})).label(r);
  assert.ok(Math.abs(r.qualityScore! - (0.8 * 0.9) / (0.8 * 0.9 + 0.2 * 0.3)) < 1e-12);
  createLabeler(labelConfigSchema.parse({ quality: { source_weights: { implicit: 5 } } })).label(r);
  assert.ok(r.qualityScore! < 0.5, 'implicit now outweighs the thumbs-up');
});
