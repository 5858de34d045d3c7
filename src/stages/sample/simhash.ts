// Near-duplicate suppression for the annotation queue: annotators should see
// a diverse set, not the same question forty times.
//
// SimHash (Charikar; Manku et al. for near-duplicate detection): every
// feature (lower-cased word and word pair of the redacted prompt) hashes to
// 64 bits; each bit position sums +1 or −1 over the features; the sign of
// each sum is one bit of the fingerprint. Similar texts share most features,
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

/** FNV-1a over the UTF-16 code units of `s`, continuing from state `h` (not yet mixed). */
function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

const BASIS_HI = 0x811c9dc5;
const BASIS_LO = 0x050c5d1f;
const SPACE = 0x20;

/** The fingerprint of a text, or undefined when it has no words. */
export function simhash(text: string): Fingerprint | undefined {
  const words = text.slice(0, MAX_CHARS).toLowerCase().match(WORD);
  if (!words || words.length === 0) return undefined;
  const sums = new Int32Array(64);
  const add = (hi: number, lo: number): void => {
    for (let b = 0; b < 32; b++) {
      sums[b] += (hi >>> b) & 1 ? 1 : -1;
      sums[32 + b] += (lo >>> b) & 1 ? 1 : -1;
    }
  };
  // Features: every word, and every pair "previous word" + " " + word. FNV is
  // a left fold, so a pair's hash continues from the previous word's state:
  // the same value as hashing the joined string, without building it.
  let prevHi = 0;
  let prevLo = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const hi = fnv(BASIS_HI, w);
    const lo = fnv(BASIS_LO, w);
    add(fmix32(hi), fmix32(lo));
    if (i > 0) {
      const pairHi = fnv(Math.imul(prevHi ^ SPACE, 0x01000193), w);
      const pairLo = fnv(Math.imul(prevLo ^ SPACE, 0x01000193), w);
      add(fmix32(pairHi), fmix32(pairLo));
    }
    prevHi = hi;
    prevLo = lo;
  }
  let hi = 0;
  let lo = 0;
  for (let b = 0; b < 32; b++) {
    if (sums[b]! > 0) hi |= 1 << b;
    if (sums[32 + b]! > 0) lo |= 1 << b;
  }
  return { hi: hi >>> 0, lo: lo >>> 0 };
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
