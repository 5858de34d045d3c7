import type { LabeledRecord } from '../../../model/record';
import type { NumericAccessor } from './fields';
import { PredicatePolicy } from './types';

/** A numeric field within [min, max] (inclusive; either bound optional). A record without the field does not match. */
export class NumericPolicy extends PredicatePolicy {
  readonly type = 'numeric';
  constructor(
    name: string,
    private readonly field: string,
    private readonly read: NumericAccessor,
    private readonly min: number | undefined,
    private readonly max: number | undefined,
  ) {
    super(name);
  }

  protected matches(record: LabeledRecord): boolean {
    const v = this.read(record);
    if (v === undefined) return false;
    return (this.min === undefined || v >= this.min) && (this.max === undefined || v <= this.max);
  }

  protected describe(): string {
    const lo = this.min === undefined ? '' : `${this.min} ≤ `;
    const hi = this.max === undefined ? '' : ` ≤ ${this.max}`;
    return `numeric(${lo}${this.field}${hi})`;
  }
}
