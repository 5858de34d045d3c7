// One route: its top-level policy list (the first policy that keeps a record
// decides, like the collector's list) and, optionally, a route budget. What
// comes out is keep / drop, the inclusion probability for this route and the
// name of the deciding policy.

import type { LabeledRecord } from '../../model/record';
import type { Budget } from './budget';
import { anyOf } from './policies/or';
import type { Policy } from './policies/types';
import type { PolicyCounter, SampleStats } from './stats';

export interface RouteOutcome {
  keep: boolean;
  /** Inclusion probability for this route (policies × budget ratio). */
  probability: number;
  /** The top-level policy that kept the record ('' when dropped). */
  policy: string;
}

export const DROPPED: RouteOutcome = Object.freeze({ keep: false, probability: 0, policy: '' });

export class PolicyList {
  private readonly counters: PolicyCounter[];

  constructor(
    readonly route: string,
    private readonly policies: readonly Policy[],
    stats: SampleStats,
  ) {
    this.counters = policies.map((p) => stats.bind(route, p.name));
  }

  /** Evaluates the policies in order; the winner is not counted as kept yet (budgets may still refuse). */
  evaluate(record: LabeledRecord): { keep: boolean; probability: number; index: number } {
    const asked: number[] = [];
    for (let k = 0; k < this.policies.length; k++) {
      const d = this.policies[k]!.evaluate(record);
      asked.push(d.probability);
      if (d.keep) {
        const p = d.probability >= 1 ? 1 : anyOf(asked, this.policies.slice(k + 1), record);
        return { keep: true, probability: p, index: k };
      }
      this.counters[k]!.dropped();
    }
    return { keep: false, probability: 0, index: -1 };
  }

  name(index: number): string {
    return this.policies[index]?.name ?? '';
  }

  /** The record was written on the route: credit the policy that kept it. */
  credit(index: number): void {
    this.counters[index]?.kept();
  }

  toString(): string {
    return this.policies.map(String).join(' | ');
  }
}

/** A plain route: policies, then an optional budget. */
export class Route {
  private readonly budgetCounter: PolicyCounter | undefined;

  constructor(
    private readonly list: PolicyList,
    private readonly budget: Budget | undefined,
    stats: SampleStats,
  ) {
    this.budgetCounter = budget ? stats.bind(list.route, 'budget') : undefined;
  }

  decide(record: LabeledRecord): RouteOutcome {
    const d = this.list.evaluate(record);
    if (!d.keep) return DROPPED;
    let p = d.probability;
    if (this.budget) {
      const { admitted, ratio } = this.budget.offer();
      if (!admitted) {
        this.budgetCounter!.rateLimited();
        return DROPPED;
      }
      p *= ratio;
    }
    this.list.credit(d.index);
    return { keep: true, probability: p, policy: this.list.name(d.index) };
  }

  toString(): string {
    return `${this.list.toString()}${this.budget ? ` then budget(${this.budget.toString()})` : ''}`;
  }
}
