import { z } from 'zod';
import { section } from '../../config/types';
import { FEEDBACK_KINDS, FEEDBACK_SOURCES } from '../../model/feedback';
import { LABEL_DIMENSIONS } from '../../model/record';
import { DEFAULT_MAPPINGS } from './defaults';
import { DEFAULT_JSON_REQUEST_PHRASES, DEFAULT_REFUSAL_PHRASES } from './phrases';

// The label stage's config: how feedback becomes labels, which rule labelers
// run, and how labels weigh into the quality score. Every key has a default;
// an empty `label:` block means the documented behaviour in README.md.

const DIMENSION_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const dimensionName = z.string().regex(DIMENSION_NAME, 'must be snake_case (a-z, 0-9, _), starting with a letter');

/** One value or a list, matched case-insensitively after trimming. */
const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const kinds = z.union([z.enum(FEEDBACK_KINDS), z.array(z.enum(FEEDBACK_KINDS)).min(1)]);
const sources = z.union([z.enum(FEEDBACK_SOURCES), z.array(z.enum(FEEDBACK_SOURCES)).min(1)]);

export const mappingRuleSchema = z.strictObject({
  when: z
    .strictObject({
      kind: kinds.describe('Feedback kind(s) the rule applies to, e.g. thumbs, or [thumbs, reject].'),
      reason: oneOrMany.optional().describe('feedback.reason must be one of these (case-insensitive).'),
      name: oneOrMany.optional().describe('Evaluation or implicit signal name (gen_ai.evaluation.name, reformulation, edit_distance…).'),
      label: oneOrMany.optional().describe('Categorical value (gen_ai.evaluation.score.label, feedback.label) must be one of these.'),
      source: sources.optional().describe('Signal source(s): user, expert, judge, system, implicit.'),
      value_lte: z.number().optional().describe('Numeric value must be present and ≤ this.'),
      value_gte: z.number().optional().describe('Numeric value must be present and ≥ this.'),
    })
    .describe('All given conditions must hold.'),
  set: z
    .strictObject({
      dimension: dimensionName.describe('Label dimension: a built-in one or one listed under label.dimensions.'),
      value: z.boolean().optional().describe('The label value. Give exactly one of value and threshold.'),
      threshold: z
        .number()
        .optional()
        .describe('Score threshold: the label carries the signal value as its score, and value = score ≥ threshold (or < with higher_is_better: false).'),
      higher_is_better: z.boolean().default(true).describe('For threshold rules: false for scores like toxicity, where high is bad. Default: true.'),
    })
    .superRefine((s, ctx) => {
      if ((s.value === undefined) === (s.threshold === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'give exactly one of value and threshold' });
      }
    }),
  confidence: z.number().min(0).max(1).describe('Confidence of labels made by this rule, 0..1.'),
  criterion: z.string().min(1).optional().describe("Overrides the dimension's criterion sentence for labels made by this rule."),
});
export type MappingRuleInput = z.input<typeof mappingRuleSchema>;
export type MappingRule = z.output<typeof mappingRuleSchema>;

const dimensionSchema = z.strictObject({
  name: dimensionName.describe('Dimension name, e.g. citation_quality.'),
  criterion: z.string().min(1).describe('What value=true asserts, in words a reviewer can check.'),
  question: z.string().min(1).optional().describe('As shown to annotators; defaults to the criterion.'),
});

const rule = (what: string) => z.boolean().default(true).describe(`${what} Default: on.`);

export const labelConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Label records. Off: records carry no labels and no quality score. Default: true.'),
    dimensions: z
      .array(dimensionSchema)
      .default([])
      .describe(`Dimensions beyond the built-in ones (${LABEL_DIMENSIONS.join(', ')}). Default: none.`),
    mappings: z
      .array(mappingRuleSchema)
      .prefault(() => structuredClone(DEFAULT_MAPPINGS))
      .describe('Feedback → label rules, tried in order; per signal, the first rule to set a dimension wins it. Setting this replaces the defaults (listed in src/stages/label/README.md).'),
    extra_mappings: z
      .array(mappingRuleSchema)
      .default([])
      .describe('Rules tried before `mappings`: add or override a few without restating the defaults. Default: none.'),
    rules: section({
      valid_json: section({
        enabled: rule('When JSON output was requested, label format_compliance by whether the output parses as JSON.'),
        detect_instructions: z
          .boolean()
          .default(true)
          .describe('Also treat an instruction phrase in the system prompt or last user message ("respond in JSON", "return only JSON"…) as a request for JSON, not only gen_ai.output.type = json. Default: true.'),
        instruction_phrases: z
          .array(z.string().min(1))
          .prefault(() => [...DEFAULT_JSON_REQUEST_PHRASES])
          .describe('Phrases (case-insensitive, whitespace-collapsed) that count as asking for JSON. Default: a short list in src/stages/label/README.md.'),
        allow_code_fence: z.boolean().default(true).describe('Accept JSON wrapped in one ```json … ``` fence. Default: true.'),
      }),
      truncated: section({ enabled: rule('Label completeness = false when the finish reason is length / max_tokens.') }),
      refusal: section({
        enabled: rule('Label completeness = false when the output opens with a refusal phrase.'),
        phrases: z
          .array(z.string().min(1))
          .prefault(() => [...DEFAULT_REFUSAL_PHRASES])
          .describe('Refusal phrases (case-insensitive, whitespace-collapsed). Default: a short list in src/stages/label/README.md.'),
        scan_chars: z
          .number()
          .int()
          .positive()
          .default(400)
          .describe('Only the first this many characters are searched: refusals open a response, and a long answer that says "I cannot provide exact figures" in passing is not one. Default: 400.'),
      }),
      empty_output: section({ enabled: rule('Label completeness = false when the output was captured and is empty.') }),
      tool_call_json: section({ enabled: rule('Label format_compliance by whether every tool call\'s arguments parse as JSON.') }),
    }),
    quality: section({
      source_weights: section({
        expert: z.number().min(0).default(1).describe('Default: 1.'),
        user: z.number().min(0).default(0.8).describe('Default: 0.8.'),
        judge: z.number().min(0).default(0.6).describe('Default: 0.6.'),
        rule: z.number().min(0).default(0.5).describe('Default: 0.5.'),
        implicit: z.number().min(0).default(0.2).describe('Default: 0.2.'),
      }).describe('Weight of each label source in the quality score (a weighted mean of label values × confidence). 0 leaves a source out.'),
    }),
  })
  .superRefine(
    (cfg, ctx) => {
      // Written defensively: this also runs when other keys are invalid, so one pass reports everything.
      const known = new Set<string>(LABEL_DIMENSIONS);
      const dims = Array.isArray(cfg.dimensions) ? cfg.dimensions : [];
      dims.forEach((d, i) => {
        if (typeof d?.name !== 'string') return;
        if (known.has(d.name)) ctx.addIssue({ code: 'custom', path: ['dimensions', i, 'name'], message: `"${d.name}" is already defined` });
        known.add(d.name);
      });
      for (const key of ['mappings', 'extra_mappings'] as const) {
        const list = Array.isArray(cfg[key]) ? cfg[key] : [];
        list.forEach((m, i) => {
          const dim = m?.set?.dimension;
          if (typeof dim === 'string' && !known.has(dim)) {
            ctx.addIssue({
              code: 'custom',
              path: [key, i, 'set', 'dimension'],
              message: `unknown dimension "${dim}"; use a built-in one (${LABEL_DIMENSIONS.join(', ')}) or add it under label.dimensions`,
            });
          }
        });
      }
    },
    { when: () => true },
  )
  .prefault({} as never);

export type LabelConfig = z.output<typeof labelConfigSchema>;
export type LabelConfigInput = z.input<typeof labelConfigSchema>;
