// Near-duplicate suppression for the annotation queue: annotators should see
// a diverse set, not the same question forty times.
//
// SimHash (Charikar; Manku et al. for near-duplicate detection): every
// feature (lower-cased word and word pair of the redacted prompt) hashes to
// 64 bits; each bit position sums +1 or −1 over the features; the sign of
// each sum (positive when more than half the features have a one there, which
// is what is counted) is one bit of the fingerprint. Similar texts share most features,
// so their fingerprints differ in few bits (a small Hamming distance).
// The 64 bits are held as two unsigned 32-bit halves.

export interface Fingerprint {
  hi: number;
  lo: number;
}

/** Enough text to tell prompts apart; bounds the cost of a huge paste. */
const MAX_CHARS = 8000;
const WORD = /[\p{L}\p{N}]+/gu;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const BASIS_HI = 0x811c9dc5;
const BASIS_LO = 0x050c5d1f;
const SPACE = 0x20;

/**
 * Bit-sliced ("vertical") counters: plane j holds bit j of the number of
 * features with a one at each of the 32 positions, so adding a feature costs
 * a short carry ripple through the planes instead of 32 separate additions.
 * 8,000 characters hold at most 8,000 words once lower-cased ("İ" becomes
 * "i" and a combining dot, which splits words), so under 16,000 features: 16
 * planes count to 65,535.
 */
const PLANES = 16;
const planesHi = new Int32Array(PLANES);
const planesLo = new Int32Array(PLANES);

function count(planes: Int32Array, bits: number): void {
  let carry = bits | 0;
  for (let j = 0; carry !== 0; j++) {
    const c = planes[j]!;
    planes[j] = c ^ carry;
    carry = c & carry;
  }
}

/** The positions whose count of ones exceeds half of `features`: a positive ±1 sum. */
function majority(planes: Int32Array, features: number): number {
  let out = 0;
  for (let b = 0; b < 32; b++) {
    let ones = 0;
    for (let j = 0; j < PLANES; j++) ones |= ((planes[j]! >>> b) & 1) << j;
    if (2 * ones > features) out |= 1 << b;
  }
  return out >>> 0;
}

/** The fingerprint of a text, or undefined when it has no words. */
export function simhash(text: string): Fingerprint | undefined {
  const words = text.slice(0, MAX_CHARS).toLowerCase().match(WORD);
  if (!words || words.length === 0) return undefined;
  planesHi.fill(0);
  planesLo.fill(0);
  // Features: every word, and every pair "previous word" + " " + word, each
  // hashed by FNV-1a over its UTF-16 code units. FNV is a left fold, so a
  // pair's hash continues from the previous word's state: the same value as
  // hashing the joined string, without building it. One pass over a word's
  // characters carries all four states (the word's two halves, the pair's two).
  let prevHi = 0;
  let prevLo = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    let hi = BASIS_HI;
    let lo = BASIS_LO;
    let pairHi = Math.imul(prevHi ^ SPACE, 0x01000193);
    let pairLo = Math.imul(prevLo ^ SPACE, 0x01000193);
    for (let k = 0; k < w.length; k++) {
      const c = w.charCodeAt(k);
      hi = Math.imul(hi ^ c, 0x01000193);
      lo = Math.imul(lo ^ c, 0x01000193);
      pairHi = Math.imul(pairHi ^ c, 0x01000193);
      pairLo = Math.imul(pairLo ^ c, 0x01000193);
    }
    count(planesHi, fmix32(hi));
    count(planesLo, fmix32(lo));
    if (i > 0) {
      count(planesHi, fmix32(pairHi));
      count(planesLo, fmix32(pairLo));
    }
    prevHi = hi;
    prevLo = lo;
  }
  const features = 2 * words.length - 1;
  return { hi: majority(planesHi, features), lo: majority(planesLo, features) };
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export function hammingDistance(a: Fingerprint, b: Fingerprint): number {
  return popcount32((a.hi ^ b.hi) >>> 0) + popcount32((a.lo ^ b.lo) >>> 0);
}

/**
 * The fingerprints of the most recent tasks, least recently matched evicted
 * first. A check scans every entry: at most `capacity` XOR-and-popcounts, on
 * records the policies already chose, so a few thousand entries cost
 * microseconds.
 */
export class NearDuplicateFilter {
  private readonly recent = new Map<string, Fingerprint>();

  constructor(
    readonly maxDistance: number,
    readonly capacity: number,
  ) {}

  /** True if a remembered fingerprint is within maxDistance; that entry becomes the most recent. */
  isDuplicate(fp: Fingerprint): boolean {
    for (const [key, seen] of this.recent) {
      if (hammingDistance(fp, seen) <= this.maxDistance) {
        this.recent.delete(key);
        this.recent.set(key, seen);
        return true;
      }
    }
    return false;
  }

  remember(fp: Fingerprint): void {
    const key = `${fp.hi}:${fp.lo}`;
    this.recent.delete(key);
    this.recent.set(key, fp);
    while (this.recent.size > this.capacity) {
      const oldest = this.recent.keys().next().value as string;
      this.recent.delete(oldest);
    }
  }

  size(): number {
    return this.recent.size;
  }

  toString(): string {
    return `near-duplicates(simhash64, ≤${this.maxDistance} bits, ${this.capacity} recent)`;
  }
}
