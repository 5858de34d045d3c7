export { createLabeler, defaultLabelConfig, LABEL_STAGE_TYPE } from './factory';
export type { Labeler } from './label';
export { labelConfigSchema, mappingRuleSchema } from './config';
export type { LabelConfig, LabelConfigInput, MappingRule, MappingRuleInput } from './config';
export { BUILTIN_DIMENSIONS, DEFAULT_MAPPINGS, type DimensionDefinition } from './defaults';
export { DEFAULT_REFUSAL_PHRASES, DEFAULT_JSON_REQUEST_PHRASES } from './phrases';
export { qualityScore, type SourceWeights } from './score';
export { lastUserText, outputText } from './text';
