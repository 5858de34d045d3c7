import type { LabeledRecord } from '../../../model/record';
import type { Decision, Policy } from './types';

/**
 * Keeps what its sub-policy drops: "everything except the internal test
 * traffic". Probability 1 − p. The config refuses budgets under `not`, so the
 * sub-policy has no side effects to invert.
 */
export class NotPolicy implements Policy {
  readonly type = 'not';
  constructor(
    readonly name: string,
    private readonly child: Policy,
  ) {}

  evaluate(record: LabeledRecord): Decision {
    const d = this.child.evaluate(record);
    return { keep: !d.keep, probability: 1 - d.probability };
  }

  probability(record: LabeledRecord): number {
    return 1 - this.child.probability(record);
  }

  toString(): string {
    return `${this.name}=not(${this.child.toString()})`;
  }
}
