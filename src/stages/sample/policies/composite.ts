import type { LabeledRecord } from '../../../model/record';
import { describeRate, type Budget } from '../budget';
import type { Decision, Policy } from './types';

export interface CompositePart {
  policy: Policy;
  /** Percent of the composite rate. */
  share: number;
  /** This part's own bucket, at share% of the composite rate. */
  budget: Budget;
  onLimited: () => void;
}

/**
 * One rate budget shared among sub-policies by fixed shares (the collector's
 * composite policy): tried in order, a sub-policy that keeps a record spends
 * from its own share; when its share is spent the next sub-policy may still
 * keep the record from its own. Unused shares are not lent out, so a noisy
 * sub-policy can never starve a quiet one.
 *
 * Probability: part i keeps with pᵢ × rᵢ (its policy's probability times its
 * bucket's admitted/offered ratio); the record is kept if any part does.
 */
export class CompositePolicy implements Policy {
  readonly type = 'composite';
  constructor(
    readonly name: string,
    private readonly parts: readonly CompositePart[],
    private readonly total: Budget['spec'],
  ) {}

  private partProbability(part: CompositePart, record: LabeledRecord): number {
    return part.policy.probability(record) * part.budget.ratio();
  }

  evaluate(record: LabeledRecord): Decision {
    const asked: number[] = [];
    for (let k = 0; k < this.parts.length; k++) {
      const part = this.parts[k]!;
      const d = part.policy.evaluate(record);
      if (!d.keep) {
        asked.push(d.probability * part.budget.ratio());
        continue;
      }
      const { admitted, ratio } = part.budget.offer();
      asked.push(d.probability * ratio);
      if (admitted) return { keep: true, probability: this.rest(asked, k + 1, record) };
      part.onLimited();
    }
    return { keep: false, probability: this.rest(asked, this.parts.length, record) };
  }

  private rest(asked: number[], from: number, record: LabeledRecord): number {
    let miss = 1;
    for (const p of asked) miss *= 1 - p;
    for (let j = from; j < this.parts.length && miss > 0; j++) miss *= 1 - this.partProbability(this.parts[j]!, record);
    return 1 - miss;
  }

  probability(record: LabeledRecord): number {
    return this.rest([], 0, record);
  }

  toString(): string {
    const parts = this.parts.map((p) => `${p.share}%: ${p.policy.toString()}`).join(', ');
    return `${this.name}=composite(${describeRate(this.total)}; ${parts})`;
  }
}
