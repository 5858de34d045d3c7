// Budgets: token buckets on the injected clock, and the admitted / offered
// ratio that turns "kept because there was budget" into an inclusion
// probability a consumer can reweight by.
//
// Why a ratio: a rate limit is not a coin flip, so a record it lets through
// has no exact inclusion probability. Over a window where the offered stream
// is roughly stationary, the limiter admits a share admitted/offered of what
// it is offered, blind to the records' content; that share is the
// Horvitz–Thompson estimate of each admitted record's inclusion probability
// (the same idea as the collector's adjusted count). It is measured over the
// current and the previous window (between one and two windows of history),
// over the offers *before* the record in question: counting the record's own
// admission would make every admitted record look likelier than it was (by
// (1 − r)/n, a few percent at tens of offers per window) and bias estimates.

import type { Clock } from '../../telemetry/clock';

export interface RateSpec {
  /** Tokens added per millisecond. */
  perMs: number;
  /** Bucket size: the most that may pass at once. */
  capacity: number;
}

/**
 * per_second or per_hour, and an optional burst. The default burst is one
 * second's worth (per_second) or one minute's worth (per_hour), at least 1:
 * small enough that "at most N an hour" holds over any hour to within a
 * minute's worth, large enough to pass one record.
 */
export function rateSpec(r: { per_second?: number | null; per_hour?: number | null; burst?: number | null }): RateSpec {
  if (r.per_second != null) return { perMs: r.per_second / 1000, capacity: r.burst ?? Math.max(1, r.per_second) };
  if (r.per_hour != null) return { perMs: r.per_hour / 3_600_000, capacity: r.burst ?? Math.max(1, r.per_hour / 60) };
  throw new Error('rate needs per_second or per_hour');
}

export function describeRate(spec: RateSpec): string {
  const perHour = spec.perMs * 3_600_000;
  const rate = perHour >= 3600 ? `${+(spec.perMs * 1000).toPrecision(6)}/s` : `${+perHour.toPrecision(6)}/h`;
  return `${rate}, burst ${+spec.capacity.toPrecision(6)}`;
}

export class TokenBucket {
  private level: number;
  private last: number;

  constructor(
    readonly spec: RateSpec,
    private readonly clock: Clock,
  ) {
    this.level = spec.capacity;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    // A clock that steps back adds nothing (and takes nothing).
    if (now > this.last) {
      this.level = Math.min(this.spec.capacity, this.level + (now - this.last) * this.spec.perMs);
      this.last = now;
    }
  }

  /** Tokens available now. */
  tokens(): number {
    this.refill();
    return this.level;
  }

  /**
   * Takes one token if at least `reserve` (a share of the capacity, 0..1)
   * would remain: lower priorities leave room for higher ones.
   */
  take(reserve = 0): boolean {
    this.refill();
    const floor = reserve * this.spec.capacity;
    if (this.level >= 1 && this.level - 1 >= floor - 1e-9) {
      this.level -= 1;
      return true;
    }
    return false;
  }
}

export class AdmitRatio {
  private start: number;
  private offered = 0;
  private admitted = 0;
  private prevOffered = 0;
  private prevAdmitted = 0;

  constructor(
    private readonly windowMs: number,
    private readonly clock: Clock,
  ) {
    this.start = clock.now();
  }

  private roll(): void {
    const now = this.clock.now();
    const elapsed = now - this.start;
    if (elapsed < this.windowMs) return;
    if (elapsed < 2 * this.windowMs) {
      this.prevOffered = this.offered;
      this.prevAdmitted = this.admitted;
    } else {
      this.prevOffered = 0;
      this.prevAdmitted = 0;
    }
    this.offered = 0;
    this.admitted = 0;
    this.start = now - (elapsed % this.windowMs);
  }

  /**
   * Counts one offer and returns the inclusion probability for it: admitted /
   * offered over the earlier offers in the window (1 when there were none). If
   * nothing earlier was admitted yet this one was, 1 / (offers incl. this one).
   */
  record(admitted: boolean): number {
    this.roll();
    const o = this.offered + this.prevOffered;
    const a = this.admitted + this.prevAdmitted;
    this.offered++;
    if (admitted) this.admitted++;
    if (o === 0) return 1;
    return a === 0 ? 1 / (o + 1) : a / o;
  }

  /** admitted / offered over the last one to two windows; 1 before anything was offered. */
  ratio(): number {
    this.roll();
    const o = this.offered + this.prevOffered;
    return o === 0 ? 1 : (this.admitted + this.prevAdmitted) / o;
  }
}

export interface Admission {
  admitted: boolean;
  /** This record's inclusion probability under the budget. */
  ratio: number;
}

/** A bucket and the ratio of what it admitted: one rate limit. */
export class Budget {
  private readonly bucket: TokenBucket;
  private readonly admits: AdmitRatio;

  constructor(
    readonly spec: RateSpec,
    clock: Clock,
    estimateWindowMs: number,
  ) {
    this.bucket = new TokenBucket(spec, clock);
    this.admits = new AdmitRatio(estimateWindowMs, clock);
  }

  /** Offers one record: whether it was admitted, and its inclusion probability (see the file comment). */
  offer(): Admission {
    const admitted = this.bucket.take();
    return { admitted, ratio: this.admits.record(admitted) };
  }

  /** The current admitted / offered ratio, taking nothing: for policies that were not asked. */
  ratio(): number {
    return this.admits.ratio();
  }

  toString(): string {
    return describeRate(this.spec);
  }
}
