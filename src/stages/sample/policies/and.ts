import type { LabeledRecord } from '../../../model/record';
import type { Decision, Policy } from './types';

/**
 * Keeps a record only if every sub-policy keeps it. Evaluates in order and
 * stops at the first drop, so later sub-policies (a rate limit) spend nothing
 * on records already dropped. Probability: the product of the sub-policies'
 * probabilities — exact when their randomness is independent, which the
 * config guarantees by giving each probabilistic policy of a route its own salt.
 */
export class AndPolicy implements Policy {
  readonly type = 'and';
  constructor(
    readonly name: string,
    private readonly children: readonly Policy[],
  ) {}

  evaluate(record: LabeledRecord): Decision {
    let p = 1;
    const n = this.children.length;
    for (let k = 0; k < n; k++) {
      const d = this.children[k]!.evaluate(record);
      p *= d.probability;
      if (!d.keep) {
        for (let j = k + 1; j < n && p > 0; j++) p *= this.children[j]!.probability(record);
        return { keep: false, probability: p };
      }
    }
    return { keep: true, probability: p };
  }

  probability(record: LabeledRecord): number {
    let p = 1;
    for (const c of this.children) {
      p *= c.probability(record);
      if (p === 0) break;
    }
    return p;
  }

  toString(): string {
    return `${this.name}=and(${this.children.map(String).join(', ')})`;
  }
}
