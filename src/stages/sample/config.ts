import { z } from 'zod';
import { duration, section } from '../../config/types';
import { FEEDBACK_KINDS, FEEDBACK_SOURCES } from '../../model/feedback';
import { compilePattern, PatternError } from '../redact/pattern';
import { isStringField, NUMERIC_FIELDS } from './policies/fields';

// Sampling policies in the style of the collector's tail sampler, and the
// routes they feed. Policy configs are recursive (and / or / not /
// composite); plan.ts turns them into a tree of Policy objects once.

const LABEL_SOURCES = ['user', 'expert', 'judge', 'implicit', 'rule'] as const;
type OneOrMany<T extends string> = T | T[];

export type PolicyConfig =
  | { type: 'always'; name?: string }
  | { type: 'never'; name?: string }
  | { type: 'probabilistic'; name?: string; percentage: number; salt?: string }
  | { type: 'attribute'; name?: string; field: string; value?: string; values?: string[]; regex?: string; invert?: boolean }
  | { type: 'numeric'; name?: string; field: (typeof NUMERIC_FIELDS)[number]; min?: number; max?: number }
  | {
      type: 'label';
      name?: string;
      dimension?: string;
      value?: boolean;
      source?: OneOrMany<(typeof LABEL_SOURCES)[number]>;
      min_confidence?: number;
    }
  | {
      type: 'feedback';
      name?: string;
      kind?: OneOrMany<(typeof FEEDBACK_KINDS)[number]>;
      reason?: OneOrMany<string>;
      source?: OneOrMany<(typeof FEEDBACK_SOURCES)[number]>;
      signal_name?: OneOrMany<string>;
    }
  | { type: 'rate_limit'; name?: string; per_second?: number; per_hour?: number; burst?: number }
  | { type: 'and'; name?: string; policies: PolicyConfig[] }
  | { type: 'or'; name?: string; policies: PolicyConfig[] }
  | { type: 'not'; name?: string; policy: PolicyConfig }
  | { type: 'composite'; name?: string; per_second?: number; per_hour?: number; burst?: number; policies: CompositeEntry[] };

export interface CompositeEntry {
  /** Percent of the composite's rate this sub-policy may use. */
  share: number;
  policy: PolicyConfig;
}

const POLICY_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;
const name = z.string().regex(POLICY_NAME, 'must start with a letter and use only letters, digits, _ . -').optional()
  .describe('Shown in metrics (label `policy`), in sampling.policy and in describe(). Default: <type>_<index>.');
const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const enumOneOrMany = <T extends readonly [string, ...string[]]>(values: T) => z.union([z.enum(values), z.array(z.enum(values)).min(1)]);
const rate = {
  per_second: z.number().positive().optional().describe('Records per second (give per_second or per_hour).'),
  per_hour: z.number().positive().optional().describe('Records per hour (give per_second or per_hour).'),
  burst: z.number().positive().optional().describe('Bucket size: how many may pass at once after a quiet spell. Default: one second\'s worth for per_second, one minute\'s for per_hour (at least 1).'),
};

function oneRate(v: { per_second?: number; per_hour?: number }, ctx: z.RefinementCtx): void {
  if ((v.per_second === undefined) === (v.per_hour === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of per_second and per_hour' });
}

export const policySchema: z.ZodType<PolicyConfig> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('always'), name }),
    z.strictObject({ type: z.literal('never'), name }),
    z.strictObject({
      type: z.literal('probabilistic'),
      name,
      percentage: z.number().min(0).max(100).describe('Share of records kept, 0–100, decided by a hash of the request id.'),
      salt: z.string().optional().describe('Mixed into the hash with sample.seed. Policies with the same salt make nested decisions (a request kept at 1% is also kept at 5%). Default: "".'),
    }),
    z
      .strictObject({
        type: z.literal('attribute'),
        name,
        field: z.string().refine(isStringField, 'unknown field; use model, request_model, prompt_version, … or extra.<key> (src/stages/sample/README.md lists them)'),
        value: z.string().optional().describe('Exact match.'),
        values: z.array(z.string()).min(1).optional().describe('Exact match against any of these.'),
        regex: z.string().min(1).optional().describe('Linear-time pattern (the redact stage\'s engine), matched anywhere; anchor with ^ $; (?i) for case-insensitive.'),
        invert: z.boolean().optional().describe('Keep records that do NOT match. Default: false.'),
      })
      .superRefine((p, ctx) => {
        const given = [p.value, p.values, p.regex].filter((v) => v !== undefined).length;
        if (given !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of value, values and regex' });
        if (p.regex !== undefined) {
          try {
            compilePattern(p.regex);
          } catch (err) {
            if (!(err instanceof PatternError)) throw err;
            ctx.addIssue({ code: 'custom', path: ['regex'], message: `does not compile: ${err.message}` });
          }
        }
      }),
    z
      .strictObject({
        type: z.literal('numeric'),
        name,
        field: z.enum(NUMERIC_FIELDS),
        min: z.number().optional().describe('Inclusive lower bound.'),
        max: z.number().optional().describe('Inclusive upper bound.'),
      })
      .superRefine((p, ctx) => {
        if (p.min === undefined && p.max === undefined) ctx.addIssue({ code: 'custom', message: 'give min, max or both' });
        if (p.min !== undefined && p.max !== undefined && p.min > p.max) ctx.addIssue({ code: 'custom', path: ['max'], message: 'must be ≥ min' });
      }),
    z.strictObject({
      type: z.literal('label'),
      name,
      dimension: z.string().min(1).optional().describe('Label dimension; any dimension when absent.'),
      value: z.boolean().optional().describe('Label value; any value when absent.'),
      source: enumOneOrMany(LABEL_SOURCES).optional().describe('Label source(s): user, expert, judge, implicit, rule.'),
      min_confidence: z.number().min(0).max(1).optional().describe('Only labels at least this confident count.'),
    }),
    z.strictObject({
      type: z.literal('feedback'),
      name,
      kind: enumOneOrMany(FEEDBACK_KINDS).optional(),
      reason: oneOrMany.optional().describe('feedback.reason, case-insensitive.'),
      source: enumOneOrMany(FEEDBACK_SOURCES).optional(),
      signal_name: oneOrMany.optional().describe('Evaluation or implicit signal name, case-insensitive.'),
    }),
    z.strictObject({ type: z.literal('rate_limit'), name, ...rate }).superRefine(oneRate),
    z.strictObject({ type: z.literal('and'), name, policies: z.array(policySchema).min(1) }),
    z.strictObject({ type: z.literal('or'), name, policies: z.array(policySchema).min(1) }),
    z.strictObject({ type: z.literal('not'), name, policy: policySchema }),
    z
      .strictObject({
        type: z.literal('composite'),
        name,
        ...rate,
        policies: z
          .array(z.strictObject({ share: z.number().positive().max(100), policy: policySchema }))
          .min(1)
          .describe('Tried in order; each may keep up to `share` percent of the composite rate.'),
      })
      .superRefine((p, ctx) => {
        oneRate(p, ctx);
        const total = p.policies.reduce((s, e) => s + e.share, 0);
        if (total > 100 + 1e-9) ctx.addIssue({ code: 'custom', path: ['policies'], message: `shares add up to ${total}%, more than 100%` });
      }),
  ]),
);

/** `sample.routes.x.policies[0]`, as the config loader prints paths. */
function keyPath(at: readonly PropertyKey[]): string {
  return at.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : `${out}.${String(seg)}`), 'sample');
}

/** Problems a single policy schema cannot see: they span the whole tree of one route. */
function checkTree(policies: readonly PolicyConfig[], path: PropertyKey[], ctx: z.RefinementCtx): void {
  const salts = new Map<string, string>();
  const names = new Set<string>();
  const visit = (p: PolicyConfig, at: PropertyKey[], underNot: boolean): void => {
    if (!p || typeof p !== 'object') return;
    if (p.name !== undefined) {
      if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: [...at, 'name'], message: `policy name "${p.name}" is used twice in this route` });
      names.add(p.name);
    }
    switch (p.type) {
      case 'probabilistic': {
        // Same-salt decisions are nested, not independent: combining two would make the inclusion probability wrong.
        const salt = p.salt ?? '';
        const first = salts.get(salt);
        if (first !== undefined) {
          ctx.addIssue({ code: 'custom', path: [...at, 'salt'], message: `another probabilistic policy in this route (${first}) uses the same salt "${salt}"; give each a different salt` });
        } else salts.set(salt, keyPath(at));
        return;
      }
      case 'rate_limit':
      case 'composite':
        if (underNot) ctx.addIssue({ code: 'custom', path: at, message: `a ${p.type} policy cannot sit under not: a budget has no negation` });
        if (p.type === 'composite') p.policies?.forEach((e, i) => visit(e.policy, [...at, 'policies', i, 'policy'], underNot));
        return;
      case 'and':
      case 'or':
        p.policies?.forEach((c, i) => visit(c, [...at, 'policies', i], underNot));
        return;
      case 'not':
        visit(p.policy, [...at, 'policy'], true);
        return;
      default:
        return;
    }
  };
  policies.forEach((p, i) => visit(p, [...path, i], false));
}

const policies = (defaults: PolicyConfig[], what: string) =>
  z
    .array(policySchema)
    .min(1)
    .prefault(() => structuredClone(defaults))
    .describe(`${what} Tried in order; the first that keeps a record decides (later ones are not asked). Policy types: src/stages/sample/README.md.`);

const routeBudget = {
  max_per_hour: z.number().positive().nullable().optional().describe('At most this many records an hour on this route (token bucket). Default: no limit.'),
  burst: z.number().positive().optional().describe("Budget bucket size. Default: one minute's worth of max_per_hour (at least 1)."),
};

const ALL: PolicyConfig[] = [{ type: 'always', name: 'all' }];
export const DEFAULT_ANNOTATION_POLICIES: PolicyConfig[] = [
  { type: 'label', name: 'negatives', value: false, source: ['user', 'expert', 'judge'] },
  { type: 'probabilistic', name: 'rest', percentage: 2 },
];

export const sampleConfigSchema = z
  .strictObject({
    seed: z
      .string()
      .min(1)
      .default('feedback-loop')
      .describe('Seed of the request-id hash behind probabilistic policies: the same seed gives the same decision for a request on every instance. Default: feedback-loop.'),
    rate_estimate_window: duration
      .pipe(z.number().positive('must be greater than zero'))
      .prefault('1m')
      .describe('Window over which a budget\'s admitted / offered ratio is measured (the last one to two windows); that ratio is the inclusion probability of what it lets through. Shorter follows load changes faster, longer is steadier at low volume. Default: 1m.'),
    routes: section({
      labeled_interactions: section({
        enabled: z.boolean().default(true).describe('Default: true.'),
        policies: policies(ALL, 'Which labeled records (final and eager updates) are written. Default: all.'),
        ...routeBudget,
      }),
      orphaned_feedback: section({
        enabled: z.boolean().default(true).describe('Default: true.'),
        policies: policies(ALL, 'Which orphaned feedback records are written. Default: all.'),
        ...routeBudget,
      }),
      annotation_tasks: section({
        enabled: z.boolean().default(true).describe('Default: true.'),
        policies: policies(DEFAULT_ANNOTATION_POLICIES, 'Which final records become annotation tasks. Default: every explicit negative (user, expert, judge), 2% of the rest.'),
        max_per_hour: z.number().positive().nullable().default(500).describe('At most this many tasks an hour; null for no limit. Default: 500.'),
        burst: routeBudget.burst,
        low_confidence_below: z
          .number()
          .min(0)
          .max(1)
          .default(0.6)
          .describe('A record whose labels are all less confident than this is a low_confidence task. Default: 0.6.'),
        priority_reserve: section({
          low_confidence: z.number().min(0).max(1).default(0.05).describe('Share of the budget bucket a low_confidence task must leave for higher priorities. Default: 0.05.'),
          disagreement: z.number().min(0).max(1).default(0.1).describe('Likewise for disagreement tasks. Default: 0.1.'),
          diverse_sample: z.number().min(0).max(1).default(0.25).describe('Likewise for the diverse sample. Default: 0.25.'),
        }).describe('When the budget runs short, lower priorities stop first: negative_with_reason may empty the bucket, the others leave these shares.'),
        stratify: z
          .strictObject({
            field: z.string().refine(isStringField, 'unknown field; use model, prompt_version, extra.<key>, …').describe('Stratum key, e.g. model, prompt_version, extra.user.segment.'),
            max_per_hour: z.number().positive().describe('At most this many tasks an hour per stratum.'),
            burst: z.number().positive().optional().describe("Per-stratum bucket size. Default: one minute's worth (at least 1)."),
            max_strata: z.number().int().positive().default(1000).describe('Strata tracked; later ones share one "(other)" budget, so memory stays bounded. Default: 1000.'),
          })
          .optional()
          .describe('Per-stratum budgets so one model or prompt version cannot fill the queue. Default: off.'),
        dedupe: section({
          enabled: z.boolean().default(true).describe('Drop tasks whose prompt is a near-duplicate of a recent task. Default: true.'),
          max_hamming_distance: z.number().int().min(0).max(32).default(3).describe('SimHash bits (of 64) two prompts may differ in and still be near-duplicates. Default: 3.'),
          cache_size: z.number().int().positive().max(100_000).default(5000).describe('Recent task prompts remembered (LRU). Default: 5000.'),
        }),
      }),
      training_examples: section({
        enabled: z.boolean().default(true).describe('Default: true.'),
        policies: policies(ALL, 'Which eligible final records become training examples. Default: all.'),
        ...routeBudget,
        eval_share: z.number().min(0).max(1).default(0.1).describe('Share of conversations (else users, else requests) put in the eval split. Default: 0.1.'),
        split_seed: z.string().min(1).default('split-v1').describe('Seed of the split hash; changing it reshuffles train/eval. Default: split-v1.'),
        sft: section({
          enabled: z.boolean().default(true).describe('Default: true.'),
          min_quality_score: z.number().min(0).max(1).default(0.7).describe('Quality score an output needs to be an SFT example. Default: 0.7.'),
        }),
        preference: section({
          enabled: z.boolean().default(true).describe('Default: true.'),
          from: z.array(z.enum(['correction', 'edit'])).min(1).default(['correction', 'edit']).describe('Signals whose text becomes the chosen answer. Default: [correction, edit].'),
        }),
      }),
    }),
  })
  .superRefine(
    (cfg, ctx) => {
      const routes = cfg.routes as Record<string, { policies?: unknown } | undefined> | undefined;
      for (const [route, r] of Object.entries(routes ?? {})) {
        if (Array.isArray(r?.policies)) checkTree(r.policies as PolicyConfig[], ['routes', route, 'policies'], ctx);
      }
    },
    { when: () => true },
  )
  .prefault({} as never);

export type SampleConfig = z.output<typeof sampleConfigSchema>;
export type SampleConfigInput = z.input<typeof sampleConfigSchema>;
export type AnnotationRouteConfig = SampleConfig['routes']['annotation_tasks'];
export type TrainingRouteConfig = SampleConfig['routes']['training_examples'];
