// Builds a Labeler from its config: mapping rules compiled and indexed, phrase
// automata built, weights resolved, once. A reload builds a new one.

import { formatPath } from '../../config/load';
import { ERROR_CODES, FeedbackLoopError } from '../../pipeline/errors';
import { labelConfigSchema, type LabelConfig } from './config';
import { BUILTIN_DIMENSIONS, type DimensionDefinition } from './defaults';
import { NoLabeler, PlanLabeler, type Labeler } from './label';
import { LabelMapping } from './mapping';
import { buildRules } from './rules';

export const LABEL_STAGE_TYPE = 'label';

export function defaultLabelConfig(): LabelConfig {
  return labelConfigSchema.parse(undefined);
}

/** Throws CONFIG_INVALID (every problem, with its key) if the config does not validate. */
export function createLabeler(config: LabelConfig): Labeler {
  // Re-validate: callers may build the object by hand, and the cross-field rules (known dimensions) must hold.
  const parsed = labelConfigSchema.safeParse(config);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `label.${formatPath(i.path)}: ${i.message}`);
    throw new FeedbackLoopError(ERROR_CODES.CONFIG_INVALID, `invalid label config:\n  ${problems.join('\n  ')}`);
  }
  const cfg = parsed.data;
  const dimensions = new Map<string, DimensionDefinition>(Object.entries(BUILTIN_DIMENSIONS));
  for (const d of cfg.dimensions) dimensions.set(d.name, { name: d.name, criterion: d.criterion, question: d.question ?? d.criterion });
  if (!cfg.enabled) return new NoLabeler(dimensions);
  return new PlanLabeler({
    mapping: new LabelMapping([...cfg.extra_mappings, ...cfg.mappings], dimensions),
    rules: buildRules(cfg.rules),
    weights: { ...cfg.quality.source_weights },
    dimensions,
  });
}
