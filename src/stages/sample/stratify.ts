// Stratified quotas for the annotation queue: each stratum (a model, a prompt
// version, a user segment — one configured field) gets its own budget, so the
// busiest stratum cannot fill the queue and a rare one still gets reviewed.
// Memory stays bounded: past max_strata, new strata share one "(other)" budget.

import type { LabeledRecord } from '../../model/record';
import type { Clock } from '../../telemetry/clock';
import { Budget, describeRate, type RateSpec } from './budget';
import type { StringAccessor } from './policies/fields';

export const NO_STRATUM = '(none)';
export const OTHER_STRATUM = '(other)';

export interface StratumOffer {
  stratum: string;
  admitted: boolean;
  /** The stratum budget's admitted / offered ratio: its factor of the inclusion probability. */
  ratio: number;
}

export class Stratifier {
  private readonly budgets = new Map<string, Budget>();
  private other: Budget | undefined;

  constructor(
    readonly field: string,
    private readonly read: StringAccessor,
    private readonly spec: RateSpec,
    private readonly maxStrata: number,
    private readonly clock: Clock,
    private readonly estimateWindowMs: number,
  ) {}

  stratumOf(record: LabeledRecord): string {
    return this.read(record)[0] ?? NO_STRATUM;
  }

  private budgetFor(stratum: string): { key: string; budget: Budget } {
    let b = this.budgets.get(stratum);
    if (b) return { key: stratum, budget: b };
    if (this.budgets.size < this.maxStrata) {
      b = new Budget(this.spec, this.clock, this.estimateWindowMs);
      this.budgets.set(stratum, b);
      return { key: stratum, budget: b };
    }
    this.other ??= new Budget(this.spec, this.clock, this.estimateWindowMs);
    return { key: OTHER_STRATUM, budget: this.other };
  }

  offer(record: LabeledRecord): StratumOffer {
    const { key, budget } = this.budgetFor(this.stratumOf(record));
    const { admitted, ratio } = budget.offer();
    return { stratum: key, admitted, ratio };
  }

  strata(): number {
    return this.budgets.size;
  }

  toString(): string {
    return `stratify(${this.field}: ${describeRate(this.spec)} per stratum, ≤${this.maxStrata} strata)`;
  }
}
