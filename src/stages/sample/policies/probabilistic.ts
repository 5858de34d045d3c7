import { createHash } from 'node:crypto';
import type { LabeledRecord } from '../../../model/record';
import type { Decision, Policy } from './types';

/**
 * A uniform number in [0, 1) from a key, the same on every machine and in any
 * language: SHA-256 of the UTF-8 bytes of `seed + "\0" + salt + "\0" + key`,
 * first 6 bytes read as a big-endian unsigned integer, divided by 2^48.
 * (48 bits: exact in a double, and far finer than any percentage.)
 */
export function unitHash(seed: string, salt: string, key: string): number {
  const d = createHash('sha256').update(`${seed}\u0000${salt}\u0000${key}`, 'utf8').digest();
  return d.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * Keeps `percentage`% of requests, chosen by unitHash(seed, salt, requestId) <
 * percentage / 100: deterministic, so the same request gets the same decision
 * on every instance and for every version (eager update and final record).
 */
export class ProbabilisticPolicy implements Policy {
  readonly type = 'probabilistic';
  private readonly p: number;
  // Routes ask the same record several times in a row (eager + final, several routes): remember the last hash.
  private lastKey: string | undefined;
  private lastU = 0;

  constructor(
    readonly name: string,
    percentage: number,
    private readonly seed: string,
    private readonly salt: string,
  ) {
    this.p = Math.min(1, Math.max(0, percentage / 100));
  }

  private u(requestId: string): number {
    if (requestId !== this.lastKey) {
      this.lastU = unitHash(this.seed, this.salt, requestId);
      this.lastKey = requestId;
    }
    return this.lastU;
  }

  evaluate(record: LabeledRecord): Decision {
    return { keep: this.p > 0 && this.u(record.requestId) < this.p, probability: this.p };
  }

  probability(): number {
    return this.p;
  }

  toString(): string {
    return `${this.name}=probabilistic(${+(this.p * 100).toPrecision(6)}%${this.salt ? `, salt=${JSON.stringify(this.salt)}` : ''})`;
  }
}
