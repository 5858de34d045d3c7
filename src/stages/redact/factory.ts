// Builds a Redactor from its config: everything that can be decided once —
// which detectors run, compiled custom patterns and key rules, the operator
// for each entity type, the HMAC key — is decided here, so redact() does no
// config parsing and compiles nothing.

import { ERROR_CODES, FeedbackLoopError } from '../../pipeline/errors';
import { formatPath } from '../../config/load';
import { redactConfigSchema, SECRET_OPERATORS, type OperatorName, type RedactConfig } from './config';
import { compileCustom } from './detectors/custom';
import { BUILTIN_TYPES, isBuiltinSecret } from './entities';
import { Pseudonymizer } from './operators';
import { compilePattern } from './pattern';
import { PassThroughRedactor, PlanRedactor, type RedactPlan, type Redactor } from './redact';
import { createScanner } from './scan';

export const REDACT_STAGE_TYPE = 'redact';

/** HMAC-SHA-256 keys shorter than this are guessable offline; `openssl rand -hex 32` gives 64 characters. */
export const MIN_HMAC_KEY_LENGTH = 32;

export function defaultRedactConfig(): RedactConfig {
  return redactConfigSchema.parse(undefined);
}

function configError(message: string): FeedbackLoopError {
  return new FeedbackLoopError(ERROR_CODES.CONFIG_INVALID, message);
}

/**
 * Throws CONFIG_INVALID if the config is invalid or the HMAC key is missing
 * while required (a `hash` operator or identifier_operator: hash).
 */
export function createRedactor(config: RedactConfig, env: NodeJS.ProcessEnv): Redactor {
  // Re-validate: callers may build the object by hand, and the cross-field rules (credentials never hashed) must hold.
  const parsed = redactConfigSchema.safeParse(config);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `redact.${formatPath(i.path)}: ${i.message}`);
    throw configError(`invalid redact config:\n  ${problems.join('\n  ')}`);
  }
  const cfg = parsed.data;
  if (!cfg.enabled) return new PassThroughRedactor();

  const customs = cfg.custom_detectors.map((c) =>
    compileCustom({ name: c.name, pattern: c.pattern, validator: c.validator, caseInsensitive: c.case_insensitive, secret: c.secret }),
  );
  const customByName = new Map(cfg.custom_detectors.map((c) => [c.name, c]));
  const enabled = new Set(BUILTIN_TYPES.filter((t) => cfg.detectors[t]));

  const operators = new Map<string, OperatorName>();
  const resolve = (type: string): OperatorName => {
    const custom = customByName.get(type);
    // Own keys only: a custom detector may be called "constructor" or "toString".
    const op = custom?.operator ?? (Object.hasOwn(cfg.operators, type) ? cfg.operators[type] : undefined) ?? cfg.default_operator;
    const secret = isBuiltinSecret(type) || custom?.secret === true;
    // default_operator may be hash or mask for PII; credentials then still get a placeholder.
    return secret && !SECRET_OPERATORS.includes(op) ? 'placeholder' : op;
  };
  for (const t of [...BUILTIN_TYPES, ...customByName.keys()]) operators.set(t, resolve(t));

  const hashUsers = [...operators].filter(([, op]) => op === 'hash').map(([t]) => `operators.${t}`);
  if (cfg.identifier_operator === 'hash') hashUsers.unshift('identifier_operator');
  const key = env[cfg.hmac_key_env];
  let hmac: Pseudonymizer | null = null;
  if (key !== undefined && key !== '') {
    if (key.length < MIN_HMAC_KEY_LENGTH) {
      throw configError(
        `redact.hmac_key_env: the key in ${cfg.hmac_key_env} is shorter than ${MIN_HMAC_KEY_LENGTH} characters; generate one with: openssl rand -hex 32`,
      );
    }
    hmac = new Pseudonymizer(key);
  } else if (hashUsers.length > 0) {
    throw configError(
      `redact.hmac_key_env: environment variable ${cfg.hmac_key_env} is not set, and pseudonyms need it (${hashUsers.slice(0, 3).join(', ')}${hashUsers.length > 3 ? ', …' : ''} use hash). ` +
        `Set it to a secret of at least ${MIN_HMAC_KEY_LENGTH} characters (openssl rand -hex 32), the same on every instance so pseudonyms join.`,
    );
  }

  const plan: RedactPlan = {
    policyVersion: cfg.policy_version,
    scanner: createScanner(enabled, customs),
    operatorFor: (type) => operators.get(type) ?? resolve(type),
    maskKeepLast: cfg.mask_keep_last,
    hmac,
    identifierOperator: cfg.identifier_operator,
    allowedValues: cfg.allowed_values.map((p) => compilePattern(p)),
    keyRules: {
      allowAllKeys: cfg.allow_all_keys,
      allowedKeys: new Set(cfg.allowed_keys),
      ignoredKeys: new Set(cfg.ignored_keys),
      blockedKeyPatterns: cfg.blocked_key_patterns.map((p) => compilePattern(p)),
    },
  };
  return new PlanRedactor(plan);
}
