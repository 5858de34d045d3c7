export { createRedactor, defaultRedactConfig, REDACT_STAGE_TYPE, MIN_HMAC_KEY_LENGTH } from './factory';
export type { Redactor } from './redact';
export { redactConfigSchema, DEFAULT_BLOCKED_KEY_PATTERNS, OPERATOR_NAMES } from './config';
export type { RedactConfig, RedactConfigInput, OperatorName, CustomDetectorConfig } from './config';
export { BUILTIN_TYPES, PII_TYPES, SECRET_TYPES } from './entities';
