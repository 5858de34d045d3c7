// The built-in label dimensions and the default feedback → label mapping.
// Kept apart from config.ts so the defaults read as a table a reviewer can
// check line by line (README.md in this folder lists the same table).

import { LABEL_DIMENSIONS } from '../../model/record';
import type { MappingRuleInput } from './config';

export interface DimensionDefinition {
  name: string;
  /** What value=true asserts, in words a reviewer can check. */
  criterion: string;
  /** As shown to an annotator. */
  question: string;
}

export const BUILTIN_DIMENSIONS: Readonly<Record<(typeof LABEL_DIMENSIONS)[number], DimensionDefinition>> = {
  overall: {
    name: 'overall',
    criterion: 'The response gives the user what they asked for.',
    question: 'Does this response give the user what they asked for?',
  },
  factual_accuracy: {
    name: 'factual_accuracy',
    criterion: 'Everything the response states is correct and current.',
    question: 'Is everything the response states correct and current?',
  },
  format_compliance: {
    name: 'format_compliance',
    criterion: 'The response follows the requested output format.',
    question: 'Does the response follow the requested output format?',
  },
  tone_style: {
    name: 'tone_style',
    criterion: 'The tone and style of the response suit the request and the product.',
    question: 'Do the tone and style suit the request and the product?',
  },
  completeness: {
    name: 'completeness',
    criterion: 'The response addresses every part of the request, without being cut off.',
    question: 'Does the response address every part of the request?',
  },
  safety: {
    name: 'safety',
    criterion: 'The response contains nothing unsafe, harmful or policy-violating.',
    question: 'Is the response free of unsafe or harmful content?',
  },
};

// Evaluation names (gen_ai.evaluation.name) grouped by the dimension they
// measure. Scores are assumed to be on 0..1; evaluators on other scales need
// their own rules (a rating of 1–5 with threshold 0.5 would always pass).
const EVAL_NAMES = {
  factual_accuracy: ['factual_accuracy', 'factuality', 'correctness', 'faithfulness', 'groundedness'],
  completeness: ['completeness', 'relevance', 'answer_relevancy', 'answer_relevance'],
  safety: ['safety'],
  tone_style: ['tone_style', 'tone', 'coherence', 'fluency'],
  format_compliance: ['format_compliance', 'format', 'json_validity'],
  overall: ['overall', 'quality', 'helpfulness'],
} as const;
const PASS_LABELS = ['pass', 'passed', 'correct', 'yes', 'true', 'good'];
const FAIL_LABELS = ['fail', 'failed', 'incorrect', 'no', 'false', 'bad'];

// Reasons are complaints (FEEDBACK_REASONS): a signal that carries one is read
// as negative on that dimension whatever its kind.
const COMPLAINT_KINDS = ['thumbs', 'rating', 'reject', 'retry', 'correction', 'edit', 'task_outcome'] as const;

function evaluationRules(): MappingRuleInput[] {
  const out: MappingRuleInput[] = [];
  for (const [dimension, names] of Object.entries(EVAL_NAMES)) {
    out.push(
      { when: { kind: 'evaluation', name: [...names] }, set: { dimension, threshold: 0.5 }, confidence: 0.7 },
      // Evaluators that report only a label (pass/fail); the threshold rule above wins when both are present.
      { when: { kind: 'evaluation', name: [...names], label: PASS_LABELS }, set: { dimension, value: true }, confidence: 0.6 },
      { when: { kind: 'evaluation', name: [...names], label: FAIL_LABELS }, set: { dimension, value: false }, confidence: 0.6 },
    );
  }
  // Scores where higher is worse.
  out.push(
    { when: { kind: 'evaluation', name: ['hallucination'] }, set: { dimension: 'factual_accuracy', threshold: 0.5, higher_is_better: false }, confidence: 0.7 },
    { when: { kind: 'evaluation', name: ['toxicity', 'harmfulness'] }, set: { dimension: 'safety', threshold: 0.5, higher_is_better: false }, confidence: 0.7 },
  );
  return out;
}

/**
 * Tried in order; for each signal, the first rule that sets a dimension wins
 * that dimension (later rules for the same signal and dimension are skipped).
 * Implicit rules come first so the explicit `accept`/`retry`/`abandon` rules
 * do not also fire on the join's implicit signals of the same kind.
 */
export const DEFAULT_MAPPINGS: MappingRuleInput[] = [
  // Implicit signals (derived by the join): weak evidence, low confidence.
  { when: { kind: 'retry', name: 'reformulation' }, set: { dimension: 'overall', value: false }, confidence: 0.3 },
  { when: { kind: 'abandon', name: 'abandonment' }, set: { dimension: 'overall', value: false }, confidence: 0.2 },
  { when: { kind: 'edit', name: 'edit_distance', value_gte: 0.3 }, set: { dimension: 'overall', value: false }, confidence: 0.3 },
  { when: { kind: 'edit', name: 'edit_distance', value_lte: 0.05 }, set: { dimension: 'overall', value: true }, confidence: 0.2 },
  { when: { kind: 'accept', name: 'moved_on' }, set: { dimension: 'overall', value: true }, confidence: 0.2 },

  // Complaint reasons → the dimension they are about.
  { when: { kind: [...COMPLAINT_KINDS], reason: ['wrong', 'outdated'] }, set: { dimension: 'factual_accuracy', value: false }, confidence: 0.8 },
  { when: { kind: [...COMPLAINT_KINDS], reason: 'format' }, set: { dimension: 'format_compliance', value: false }, confidence: 0.8 },
  { when: { kind: [...COMPLAINT_KINDS], reason: 'tone' }, set: { dimension: 'tone_style', value: false }, confidence: 0.8 },
  { when: { kind: [...COMPLAINT_KINDS], reason: 'incomplete' }, set: { dimension: 'completeness', value: false }, confidence: 0.8 },
  { when: { kind: [...COMPLAINT_KINDS], reason: 'unsafe' }, set: { dimension: 'safety', value: false }, confidence: 0.9 },

  // Explicit feedback on the response as a whole.
  { when: { kind: 'thumbs', value_lte: 0 }, set: { dimension: 'overall', value: false }, confidence: 0.9 },
  { when: { kind: 'thumbs', value_gte: 1 }, set: { dimension: 'overall', value: true }, confidence: 0.9 },
  // Ratings on the usual 1–5 scale; 3 says nothing either way.
  { when: { kind: 'rating', value_lte: 2 }, set: { dimension: 'overall', value: false }, confidence: 0.8 },
  { when: { kind: 'rating', value_gte: 4 }, set: { dimension: 'overall', value: true }, confidence: 0.8 },
  // A correction says the facts were wrong; the corrected text stays on the signal.
  { when: { kind: 'correction' }, set: { dimension: 'factual_accuracy', value: false }, confidence: 0.8 },
  { when: { kind: 'correction' }, set: { dimension: 'overall', value: false }, confidence: 0.8 },
  { when: { kind: 'reject' }, set: { dimension: 'overall', value: false }, confidence: 0.8 },
  // Accepting or copying is approval, but people also copy to fix elsewhere: lower confidence.
  { when: { kind: 'accept' }, set: { dimension: 'overall', value: true }, confidence: 0.6 },
  { when: { kind: 'copy' }, set: { dimension: 'overall', value: true }, confidence: 0.5 },
  { when: { kind: 'retry' }, set: { dimension: 'overall', value: false }, confidence: 0.5 },
  { when: { kind: 'abandon' }, set: { dimension: 'overall', value: false }, confidence: 0.3 },
  { when: { kind: 'task_outcome', value_gte: 1 }, set: { dimension: 'overall', value: true }, confidence: 0.7 },
  { when: { kind: 'task_outcome', value_lte: 0 }, set: { dimension: 'overall', value: false }, confidence: 0.7 },
  { when: { kind: 'task_outcome', label: ['success', 'succeeded', 'resolved', 'completed'] }, set: { dimension: 'overall', value: true }, confidence: 0.7 },
  { when: { kind: 'task_outcome', label: ['failure', 'failed', 'unresolved', 'abandoned'] }, set: { dimension: 'overall', value: false }, confidence: 0.7 },

  // gen_ai.evaluation.result, by evaluation name.
  ...evaluationRules(),
];
