import type { LabeledRecord } from '../../../model/record';
import type { Budget } from '../budget';
import type { Decision, Policy } from './types';

/**
 * Keeps records while its token bucket has tokens: at most N a second or an
 * hour. Put it last in an `and`, so only records the other conditions keep
 * spend budget. Its probability is the bucket's measured admitted / offered
 * ratio (budget.ts explains why that is the estimate).
 */
export class RateLimitPolicy implements Policy {
  readonly type = 'rate_limit';
  constructor(
    readonly name: string,
    private readonly budget: Budget,
    private readonly onLimited: () => void,
  ) {}

  evaluate(): Decision {
    const { admitted, ratio } = this.budget.offer();
    if (!admitted) this.onLimited();
    return { keep: admitted, probability: ratio };
  }

  probability(_record?: LabeledRecord): number {
    return this.budget.ratio();
  }

  toString(): string {
    return `${this.name}=rate_limit(${this.budget.toString()})`;
  }
}
