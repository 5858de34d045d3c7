import { z } from 'zod';
import { section } from '../../config/types';
import { BUILTIN_TYPES, DETECTOR_DESCRIPTIONS, isBuiltinSecret, type BuiltinType } from './entities';
import { compilePattern, PatternError } from './pattern';

export const OPERATOR_NAMES = ['placeholder', 'hash', 'mask', 'drop'] as const;
export type OperatorName = (typeof OPERATOR_NAMES)[number];
/** Credentials may only disappear or become a placeholder: a hash or a partial mask would still be a handle on them. */
export const SECRET_OPERATORS: readonly OperatorName[] = ['placeholder', 'drop'];

/** Attribute names whose values are masked whole by default: credentials travel under these names. */
export const DEFAULT_BLOCKED_KEY_PATTERNS = [
  '(?i)passw(or)?d',
  '(?i)secret',
  '(?i)api[_.-]?key',
  '(?i)(access|refresh|auth|id|session|bearer)[_.-]?token',
  '(?i)authorization',
  '(?i)cookie',
  '(?i)credential',
  '(?i)private[_.-]?key',
];

/** A pattern for the linear-time engine; a pattern it refuses is a config error naming the key. */
const pattern = (what: string) =>
  z
    .string()
    .min(1, 'must not be empty')
    .superRefine((source, ctx) => {
      try {
        compilePattern(source);
      } catch (err) {
        if (!(err instanceof PatternError)) throw err;
        ctx.addIssue({ code: 'custom', message: `${what} does not compile: ${err.message}` });
      }
    });

const detectorsShape = Object.fromEntries(
  BUILTIN_TYPES.map((t) => [t, z.boolean().default(true).describe(`${DETECTOR_DESCRIPTIONS[t]} Default: on.`)]),
) as Record<BuiltinType, z.ZodDefault<z.ZodBoolean>>;

const customDetectorSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be snake_case (a-z, 0-9, _), starting with a letter')
    .describe('Entity type this detector reports: the placeholder is <NAME_1> and the summary counts it under this name.'),
  pattern: pattern('pattern').describe(
    'What to find, in a JavaScript-like regex syntax run by a linear-time engine: classes, groups, alternation, * + ? {n,m}, \\b, ^ $, a leading (?i). Backreferences and lookaround are refused.',
  ),
  validator: z
    .enum(['luhn', 'iban', 'none'])
    .default('none')
    .describe('Checksum a match must pass: luhn (payment-card style, 12–19 digits), iban (mod-97 with the registry length), none. Default: none.'),
  case_insensitive: z.boolean().default(false).describe('Match letters in either case (ASCII). Default: false.'),
  secret: z
    .boolean()
    .default(false)
    .describe('A credential: only the placeholder and drop operators are allowed, and it wins over PII where detections overlap. Default: false.'),
  operator: z
    .enum(OPERATOR_NAMES)
    .optional()
    .describe('Operator for this detector; defaults to operators.<name>, then default_operator.'),
});
export type CustomDetectorConfig = z.infer<typeof customDetectorSchema>;

export const redactConfigSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Redact PII and secrets before anything is stored. Turning it off is refused unless allow_unredacted is also set. Default: true.'),
    allow_unredacted: z
      .boolean()
      .default(false)
      .describe('Confirms that enabled: false is meant: records then carry raw content and policy version "unredacted". Default: false.'),
    policy_version: z.string().default('v1').describe('Recorded on every record so consumers know which policy redacted it. Default: v1.'),
    hmac_key_env: z
      .string()
      .default('FEEDBACK_LOOP_HMAC_KEY')
      .describe(
        'Environment variable holding the HMAC key (at least 32 characters) for pseudonyms. Required when identifier_operator or any operator is `hash`. Default: FEEDBACK_LOOP_HMAC_KEY.',
      ),
    detectors: section(detectorsShape).describe('Switch built-in detectors on or off by name. Default: all on.'),
    custom_detectors: z.array(customDetectorSchema).default([]).describe('Extra detectors for in-house identifiers (employee ids, ticket numbers…). Default: none.'),
    default_operator: z
      .enum(OPERATOR_NAMES)
      .default('placeholder')
      .describe(
        'Operator for entity types without one in operators: placeholder (<EMAIL_1>), hash (<EMAIL:3f9a1c0d2b7e4a61>, keyed HMAC), mask (keep the last mask_keep_last characters), drop. Credentials fall back to placeholder when this is hash or mask. Default: placeholder.',
      ),
    operators: z
      .record(z.string(), z.enum(OPERATOR_NAMES))
      .default({})
      .describe('Operator per entity type, e.g. { email: hash, credit_card: mask }. Credentials accept only placeholder or drop. Default: {} (default_operator for all).'),
    mask_keep_last: z
      .number()
      .int()
      .min(0)
      .max(16)
      .default(4)
      .describe('Characters the mask operator leaves visible at the end (separators such as spaces are kept). Values this short or shorter are masked whole. Default: 4.'),
    identifier_operator: z
      .enum(['hash', 'drop'])
      .default('hash')
      .describe(
        'How userId, sessionId and feedback actor are protected: hash = keyed HMAC-SHA-256 pseudonym, stable across records and restarts so per-user grouping still works; drop = removed. Default: hash.',
      ),
    allow_all_keys: z
      .boolean()
      .default(true)
      .describe('Keep every interaction.extra attribute (still scanned by the detectors). When false, only allowed_keys and ignored_keys are kept. Default: true.'),
    allowed_keys: z.array(z.string().min(1)).default([]).describe('interaction.extra keys kept when allow_all_keys is false. Default: [].'),
    ignored_keys: z
      .array(z.string().min(1))
      .default([])
      .describe('interaction.extra keys passed through untouched: never removed, masked or scanned. Default: [].'),
    blocked_key_patterns: z
      .array(pattern('blocked key pattern'))
      .default(DEFAULT_BLOCKED_KEY_PATTERNS)
      .describe(
        'Patterns on attribute names (interaction.extra keys and keys inside JSON tool arguments): a matching key keeps its name but its value is replaced by "****". Default: password, secret, api_key, *_token, authorization, cookie, credential, private_key.',
      ),
    allowed_values: z
      .array(pattern('allowed value pattern'))
      .default([])
      .describe('Patterns that a whole detected value may match to be left as it is, e.g. ".+@example\\.com" for a public support address. Default: [].'),
  })
  .superRefine(
    (cfg, ctx) => {
      // Cross-field rules, written defensively: they also run when other keys are invalid, so one pass reports everything.
      const customs = Array.isArray(cfg.custom_detectors) ? cfg.custom_detectors : [];
      const customSecret = new Map<string, boolean>();
      customs.forEach((c, i) => {
        if (typeof c?.name !== 'string') return;
        if ((BUILTIN_TYPES as readonly string[]).includes(c.name)) {
          ctx.addIssue({ code: 'custom', path: ['custom_detectors', i, 'name'], message: `"${c.name}" is a built-in detector; choose another name` });
        } else if (customSecret.has(c.name)) {
          ctx.addIssue({ code: 'custom', path: ['custom_detectors', i, 'name'], message: `"${c.name}" is defined twice` });
        }
        customSecret.set(c.name, c.secret === true);
        if (c.secret && c.operator && !SECRET_OPERATORS.includes(c.operator)) {
          ctx.addIssue({ code: 'custom', path: ['custom_detectors', i, 'operator'], message: 'a secret detector accepts only placeholder or drop' });
        }
      });
      const ops = cfg.operators && typeof cfg.operators === 'object' ? cfg.operators : {};
      for (const [type, op] of Object.entries(ops)) {
        const builtin = (BUILTIN_TYPES as readonly string[]).includes(type);
        if (!builtin && !customSecret.has(type)) {
          ctx.addIssue({ code: 'custom', path: ['operators', type], message: `unknown entity type; use a built-in detector name or a custom_detectors name` });
        } else if ((isBuiltinSecret(type) || customSecret.get(type) === true) && !SECRET_OPERATORS.includes(op)) {
          ctx.addIssue({ code: 'custom', path: ['operators', type], message: `${type} is a credential: only placeholder or drop are allowed, never ${op}` });
        }
      }
      if (cfg.enabled === false && cfg.allow_unredacted !== true) {
        ctx.addIssue({ code: 'custom', path: ['enabled'], message: 'redaction can only be turned off together with allow_unredacted: true' });
      }
    },
    { when: () => true },
  )
  .prefault({} as never);

export type RedactConfig = z.output<typeof redactConfigSchema>;
export type RedactConfigInput = z.input<typeof redactConfigSchema>;
