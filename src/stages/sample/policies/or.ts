import type { LabeledRecord } from '../../../model/record';
import type { Decision, Policy } from './types';

/**
 * The probability that at least one of several independent chances keeps a
 * record: 1 − Π(1 − pᵢ). `asked` are the probabilities of the sub-policies
 * evaluated; `rest` are asked for theirs without side effects.
 */
export function anyOf(asked: readonly number[], rest: readonly Policy[], record: LabeledRecord): number {
  let miss = 1;
  for (const p of asked) miss *= 1 - p;
  for (const c of rest) {
    if (miss === 0) break;
    miss *= 1 - c.probability(record);
  }
  return 1 - miss;
}

/**
 * Keeps a record if any sub-policy keeps it; the first that keeps decides and
 * later ones are not asked (a later rate limit spends nothing). A route's
 * `policies` list behaves the same way, like the collector's top-level list.
 */
export class OrPolicy implements Policy {
  readonly type = 'or';
  constructor(
    readonly name: string,
    private readonly children: readonly Policy[],
  ) {}

  evaluate(record: LabeledRecord): Decision {
    const asked: number[] = [];
    for (let k = 0; k < this.children.length; k++) {
      const d = this.children[k]!.evaluate(record);
      asked.push(d.probability);
      if (d.keep) return { keep: true, probability: d.probability >= 1 ? 1 : anyOf(asked, this.children.slice(k + 1), record) };
    }
    return { keep: false, probability: anyOf(asked, [], record) };
  }

  probability(record: LabeledRecord): number {
    return anyOf([], this.children, record);
  }

  toString(): string {
    return `${this.name}=or(${this.children.map(String).join(', ')})`;
  }
}
