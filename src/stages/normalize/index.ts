export { createNormalizer, type NormalizeResult, type Normalizer } from './normalize';
export { createNormalizeStage, defaultNormalizeConfig, NORMALIZE_TYPE } from './factory';
export { normalizeConfigSchema, type NormalizeConfig } from './config';
export { feedbackValue, signalId } from './feedback';
