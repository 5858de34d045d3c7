import type { LabeledRecord } from '../../../model/record';
import { compilePattern } from '../../redact/pattern';
import type { StringAccessor } from './fields';
import { list, PredicatePolicy } from './types';

export type StringMatch = { exact: string } | { anyOf: readonly string[] } | { regex: string };

/**
 * String match on an interaction field or extra attribute: exact, any of a
 * list, or a pattern compiled once (linear-time engine, so no config can make
 * matching backtrack). Matches when any value of the field matches; `invert`
 * keeps the records that do not match, including those without the field.
 */
export class AttributePolicy extends PredicatePolicy {
  readonly type = 'attribute';
  private readonly test: (v: string) => boolean;

  constructor(
    name: string,
    private readonly field: string,
    private readonly read: StringAccessor,
    private readonly match: StringMatch,
    private readonly invert: boolean,
  ) {
    super(name);
    if ('exact' in match) {
      const want = match.exact;
      this.test = (v) => v === want;
    } else if ('anyOf' in match) {
      const set = new Set(match.anyOf);
      this.test = (v) => set.has(v);
    } else {
      const re = compilePattern(match.regex);
      this.test = (v) => re.test(v);
    }
  }

  protected matches(record: LabeledRecord): boolean {
    let hit = false;
    for (const v of this.read(record)) {
      if (this.test(v)) {
        hit = true;
        break;
      }
    }
    return hit !== this.invert;
  }

  protected describe(): string {
    const m = this.match;
    const what = 'exact' in m ? `= ${JSON.stringify(m.exact)}` : 'anyOf' in m ? `∈ ${list(m.anyOf.map((v) => JSON.stringify(v)))}` : `~ /${m.regex}/`;
    return `attribute(${this.field} ${this.invert ? 'not ' : ''}${what})`;
  }
}
