// Builds a route's policy tree from config, once: field names resolved to
// accessors, patterns compiled, string sets lower-cased, buckets created.
// Evaluation then does no parsing, no lookups by name and no compilation.

import type { FeedbackKind, FeedbackSource } from '../../model/feedback';
import type { LabelSource } from '../../model/record';
import type { Clock } from '../../telemetry/clock';
import { Budget, rateSpec } from './budget';
import type { PolicyConfig } from './config';
import { AlwaysPolicy, NeverPolicy } from './policies/always';
import { AndPolicy } from './policies/and';
import { AttributePolicy, type StringMatch } from './policies/attribute';
import { CompositePolicy, type CompositePart } from './policies/composite';
import { FeedbackPolicy } from './policies/feedback';
import { numericAccessor, stringAccessor } from './policies/fields';
import { LabelPolicy } from './policies/label';
import { NotPolicy } from './policies/not';
import { NumericPolicy } from './policies/numeric';
import { OrPolicy } from './policies/or';
import { ProbabilisticPolicy } from './policies/probabilistic';
import { RateLimitPolicy } from './policies/rate-limit';
import type { Policy } from './policies/types';

export interface PlanContext {
  /** sample.seed */
  seed: string;
  clock: Clock;
  /** sample.rate_estimate_window, in ms. */
  estimateWindowMs: number;
  /** The callback a budget named `policy` calls when it refuses a record (counts rate_limited). */
  limited(policy: string): () => void;
}

function setOf<T extends string>(v: T | readonly T[] | undefined, lower = false): ReadonlySet<T> | undefined {
  if (v === undefined) return undefined;
  const values = (Array.isArray(v) ? v : [v]) as T[];
  return new Set(lower ? values.map((s) => s.trim().toLowerCase() as T) : values);
}

export function buildPolicy(cfg: PolicyConfig, fallbackName: string, ctx: PlanContext): Policy {
  const name = cfg.name ?? fallbackName;
  const child = (c: PolicyConfig, i: number | undefined): Policy => buildPolicy(c, `${name}.${c.type}${i === undefined ? '' : `_${i}`}`, ctx);
  switch (cfg.type) {
    case 'always':
      return new AlwaysPolicy(name);
    case 'never':
      return new NeverPolicy(name);
    case 'probabilistic':
      return new ProbabilisticPolicy(name, cfg.percentage, ctx.seed, cfg.salt ?? '');
    case 'attribute': {
      const match: StringMatch =
        cfg.value !== undefined ? { exact: cfg.value } : cfg.values !== undefined ? { anyOf: cfg.values } : { regex: cfg.regex ?? '' };
      return new AttributePolicy(name, cfg.field, stringAccessor(cfg.field), match, cfg.invert === true);
    }
    case 'numeric':
      return new NumericPolicy(name, cfg.field, numericAccessor(cfg.field), cfg.min, cfg.max);
    case 'label':
      return new LabelPolicy(name, {
        dimension: cfg.dimension,
        value: cfg.value,
        sources: setOf<LabelSource>(cfg.source),
        minConfidence: cfg.min_confidence,
      });
    case 'feedback':
      return new FeedbackPolicy(name, {
        kinds: setOf<FeedbackKind>(cfg.kind),
        reasons: setOf(cfg.reason, true),
        sources: setOf<FeedbackSource>(cfg.source),
        names: setOf(cfg.signal_name, true),
      });
    case 'rate_limit':
      return new RateLimitPolicy(name, new Budget(rateSpec(cfg), ctx.clock, ctx.estimateWindowMs), ctx.limited(name));
    case 'and':
      return new AndPolicy(name, cfg.policies.map((c, i) => child(c, i)));
    case 'or':
      return new OrPolicy(name, cfg.policies.map((c, i) => child(c, i)));
    case 'not':
      return new NotPolicy(name, child(cfg.policy, undefined));
    case 'composite': {
      const total = rateSpec(cfg);
      const parts: CompositePart[] = cfg.policies.map((e, i) => {
        const policy = child(e.policy, i);
        const f = e.share / 100;
        // Each part's bucket holds its share of the burst, but always room for one record.
        const budget = new Budget({ perMs: total.perMs * f, capacity: Math.max(1, total.capacity * f) }, ctx.clock, ctx.estimateWindowMs);
        return { policy, share: e.share, budget, onLimited: ctx.limited(policy.name) };
      });
      return new CompositePolicy(name, parts, total);
    }
  }
}

/** A route's top-level list; unnamed policies are called <type>_<index>. */
export function buildPolicies(list: readonly PolicyConfig[], ctx: PlanContext): Policy[] {
  return list.map((c, i) => buildPolicy(c, `${c.type}_${i}`, ctx));
}
