// Counts for metrics and for simulate's report, bound once per (route,
// policy) at plan time so the hot path only increments.
//
//   kept{route,policy}          records written on the route, by the top-level policy that kept them
//   dropped{route,policy}       records a top-level policy was asked about and did not keep
//                               (policy "near_duplicate": suppressed as a near-duplicate)
//   rate_limited{route,policy}  records a budget refused: rate_limit / composite parts by
//                               name, the route budget as "budget", strata as "stratify"

import type { Metrics } from '../../telemetry/metrics';

export interface PolicyCounts {
  kept: number;
  dropped: number;
  rateLimited: number;
}

export interface PolicyCounter {
  kept(): void;
  dropped(): void;
  rateLimited(): void;
}

export class SampleStats {
  /** route → policy → counts */
  readonly policies: Record<string, Record<string, PolicyCounts>> = {};
  private readonly m;

  constructor(metrics: Metrics) {
    const labels = ['route', 'policy'];
    this.m = {
      kept: metrics.counter('feedback_loop_sample_kept_total', 'Records written on a route, by the top-level policy that kept them.', labels),
      dropped: metrics.counter('feedback_loop_sample_dropped_total', 'Records a top-level policy did not keep (or suppressed as near-duplicates), by route and policy.', labels),
      limited: metrics.counter('feedback_loop_sample_rate_limited_total', 'Records a budget refused, by route and budget (policy name, "budget" or "stratify").', labels),
    };
  }

  bind(route: string, policy: string): PolicyCounter {
    const byPolicy = (this.policies[route] ??= {});
    const counts = (byPolicy[policy] ??= { kept: 0, dropped: 0, rateLimited: 0 });
    const kept = this.m.kept.labels(route, policy);
    const dropped = this.m.dropped.labels(route, policy);
    const limited = this.m.limited.labels(route, policy);
    return {
      kept: () => {
        counts.kept++;
        kept.inc();
      },
      dropped: () => {
        counts.dropped++;
        dropped.inc();
      },
      rateLimited: () => {
        counts.rateLimited++;
        limited.inc();
      },
    };
  }
}
