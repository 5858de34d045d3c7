// The policy contract, in the style of the collector's tail sampler: a tiny
// object that looks at one labeled record and says keep or drop, plus the
// probability that a record like this one is kept — so every kept record can
// carry its inclusion probability and downstream estimates can be reweighted.

import type { LabeledRecord } from '../../../model/record';

export interface Decision {
  keep: boolean;
  /**
   * Ex-ante probability that this policy keeps this record, whatever the
   * outcome was: 1 or 0 for predicates, p for a probabilistic policy, the
   * measured admitted/offered ratio for a budget. Always > 0 when keep is true.
   */
  probability: number;
}

export interface Policy {
  /** Unique within its route; the `policy` label on metrics. */
  readonly name: string;
  readonly type: string;
  /** Decide for this record. Budgets take a token here and only here. */
  evaluate(record: LabeledRecord): Decision;
  /**
   * The same probability evaluate() would report, without side effects (no
   * token taken): what or / and / composite use for siblings they did not ask.
   */
  probability(record: LabeledRecord): number;
  /** The policy and its parameters, for describe() and logs. */
  toString(): string;
}

export const KEEP: Decision = Object.freeze({ keep: true, probability: 1 });
export const DROP: Decision = Object.freeze({ keep: false, probability: 0 });

/** A policy that is a pure yes/no question about the record. */
export abstract class PredicatePolicy implements Policy {
  abstract readonly type: string;
  constructor(readonly name: string) {}
  protected abstract matches(record: LabeledRecord): boolean;
  protected abstract describe(): string;

  evaluate(record: LabeledRecord): Decision {
    return this.matches(record) ? KEEP : DROP;
  }

  probability(record: LabeledRecord): number {
    return this.matches(record) ? 1 : 0;
  }

  toString(): string {
    return `${this.name}=${this.describe()}`;
  }
}

/** {a,b,c} for toString. */
export function list(values: Iterable<string>): string {
  return `{${[...values].join(',')}}`;
}
