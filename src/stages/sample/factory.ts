// Builds the sampling plan from config, once: every route's policy tree,
// budgets, strata, the near-duplicate filter. A reload builds a new plan
// (fresh budgets), which is cheap: nothing here does I/O.

import { formatPath } from '../../config/load';
import { ERROR_CODES, FeedbackLoopError } from '../../pipeline/errors';
import type { ComponentContext } from '../../telemetry/metrics';
import { AnnotationGate } from './annotation';
import { Budget, rateSpec } from './budget';
import { sampleConfigSchema, type PolicyConfig, type SampleConfig } from './config';
import { buildPolicies, type PlanContext } from './plan';
import { stringAccessor } from './policies/fields';
import { PolicyList, Route } from './route';
import { NearDuplicateFilter } from './simhash';
import type { SampleStats } from './stats';
import { Stratifier } from './stratify';
import type { TrainingOptions } from './training';

export const SAMPLE_STAGE_TYPE = 'sample';

export function defaultSampleConfig(): SampleConfig {
  return sampleConfigSchema.parse(undefined);
}

export interface SamplePlan {
  labeled?: Route;
  orphans?: Route;
  annotation?: { list: PolicyList; gate: AnnotationGate };
  training?: { route: Route; options: TrainingOptions };
}

function invalid(problems: string[]): FeedbackLoopError {
  return new FeedbackLoopError(ERROR_CODES.CONFIG_INVALID, `invalid sample config:\n  ${problems.join('\n  ')}`);
}

/** Label policies naming a dimension the labeler does not know would never match: say so at load. */
function unknownDimensions(cfg: SampleConfig, known: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const visit = (p: PolicyConfig, path: string): void => {
    if (p.type === 'label' && p.dimension !== undefined && !known.has(p.dimension)) {
      problems.push(`${path}.dimension: unknown dimension "${p.dimension}"; add it under label.dimensions`);
    } else if (p.type === 'and' || p.type === 'or') p.policies.forEach((c, i) => visit(c, `${path}.policies[${i}]`));
    else if (p.type === 'not') visit(p.policy, `${path}.policy`);
    else if (p.type === 'composite') p.policies.forEach((e, i) => visit(e.policy, `${path}.policies[${i}].policy`));
  };
  for (const [route, r] of Object.entries(cfg.routes)) r.policies.forEach((p, i) => visit(p, `sample.routes.${route}.policies[${i}]`));
  return problems;
}

/** Throws CONFIG_INVALID listing every problem. `dimensions`: what the labeler labels, for label policies. */
export function createSamplePlan(config: SampleConfig, ctx: ComponentContext, stats: SampleStats, dimensions: ReadonlySet<string>): SamplePlan {
  const parsed = sampleConfigSchema.safeParse(config);
  if (!parsed.success) throw invalid(parsed.error.issues.map((i) => `sample.${formatPath(i.path)}: ${i.message}`));
  const cfg = parsed.data;
  const unknown = unknownDimensions(cfg, dimensions);
  if (unknown.length) throw invalid(unknown);

  const window = cfg.rate_estimate_window;
  const planFor = (route: string): PlanContext => ({
    seed: cfg.seed,
    clock: ctx.clock,
    estimateWindowMs: window,
    limited: (policy) => {
      const c = stats.bind(route, policy);
      return () => c.rateLimited();
    },
  });
  const routeBudget = (r: { max_per_hour?: number | null; burst?: number }): Budget | undefined =>
    r.max_per_hour == null ? undefined : new Budget(rateSpec({ per_hour: r.max_per_hour, burst: r.burst }), ctx.clock, window);
  const simpleRoute = (name: string, r: SampleConfig['routes']['labeled_interactions']): Route =>
    new Route(new PolicyList(name, buildPolicies(r.policies, planFor(name)), stats), routeBudget(r), stats);

  const plan: SamplePlan = {};
  const { labeled_interactions: li, orphaned_feedback: of, annotation_tasks: at, training_examples: te } = cfg.routes;
  if (li.enabled) plan.labeled = simpleRoute('labeled_interactions', li);
  if (of.enabled) plan.orphans = simpleRoute('orphaned_feedback', of);
  if (at.enabled) {
    const route = 'annotation_tasks';
    const gate = new AnnotationGate({
      lowConfidenceBelow: at.low_confidence_below,
      reserve: { negative_with_reason: 0, ...at.priority_reserve },
      dedupe: at.dedupe.enabled ? new NearDuplicateFilter(at.dedupe.max_hamming_distance, at.dedupe.cache_size) : undefined,
      stratifier: at.stratify
        ? new Stratifier(
            at.stratify.field,
            stringAccessor(at.stratify.field),
            rateSpec({ per_hour: at.stratify.max_per_hour, burst: at.stratify.burst }),
            at.stratify.max_strata,
            ctx.clock,
            window,
          )
        : undefined,
      budget: at.max_per_hour == null ? undefined : rateSpec({ per_hour: at.max_per_hour, burst: at.burst }),
      clock: ctx.clock,
      estimateWindowMs: window,
      // Bound only for the steps configured, so /metrics shows no series for steps that cannot fire.
      counters: {
        nearDuplicate: at.dedupe.enabled ? stats.bind(route, 'near_duplicate') : undefined,
        stratify: at.stratify ? stats.bind(route, 'stratify') : undefined,
        budget: at.max_per_hour == null ? undefined : stats.bind(route, 'budget'),
      },
    });
    plan.annotation = { list: new PolicyList(route, buildPolicies(at.policies, planFor(route)), stats), gate };
  }
  if (te.enabled) {
    plan.training = {
      route: simpleRoute('training_examples', te),
      options: {
        sft: { enabled: te.sft.enabled, minQualityScore: te.sft.min_quality_score },
        preference: { enabled: te.preference.enabled, from: new Set(te.preference.from) },
        evalShare: te.eval_share,
        splitSeed: te.split_seed,
      },
    };
  }
  return plan;
}
