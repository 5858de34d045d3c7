import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hammingDistance, NearDuplicateFilter, simhash } from '../../../src/stages/sample/simhash';

const LONG = 'How do I configure the OpenTelemetry Collector tail sampling processor to keep every trace with an error and ten percent of the rest';

describe('simhash', () => {
  test('deterministic, case- and punctuation-insensitive', () => {
    assert.deepEqual(simhash(LONG), simhash(LONG));
    assert.deepEqual(simhash('Reset my password!'), simhash('reset   my password'));
  });

  test('a one-word change stays close; an unrelated prompt is far', () => {
    const a = simhash(LONG)!;
    const b = simhash(LONG.replace('ten percent', 'five percent'))!;
    const c = simhash('Write a limerick about a cat who learns to play the tuba in a marching band on Sundays')!;
    const near = hammingDistance(a, b);
    const far = hammingDistance(a, c);
    assert.ok(near <= 12, `near ${near}`);
    assert.ok(far >= 20, `far ${far}`);
    assert.ok(near < far);
  });

  test('no words → no fingerprint', () => {
    assert.equal(simhash('  ?! '), undefined);
  });

  test('hamming distance counts differing bits in both halves', () => {
    assert.equal(hammingDistance({ hi: 0, lo: 0 }, { hi: 0xffffffff, lo: 1 }), 33);
    assert.equal(hammingDistance({ hi: 5, lo: 9 }, { hi: 5, lo: 9 }), 0);
  });
});

describe('NearDuplicateFilter', () => {
  test('suppresses within the threshold, bounded by LRU capacity', () => {
    const f = new NearDuplicateFilter(3, 2);
    const a = { hi: 0b1111, lo: 0 };
    const x = { hi: 1 << 20, lo: 1 << 20 };
    f.remember(a);
    f.remember(x);
    assert.equal(f.isDuplicate({ hi: 0b0111, lo: 0b11 }), true, '3 bits from a: a becomes the most recent');
    assert.equal(f.isDuplicate({ hi: 0b0011, lo: 0b11 }), false, '4 bits apart');
    f.remember({ hi: 1 << 25, lo: 1 << 25 }); // over capacity: x, the least recently used, goes
    assert.equal(f.size(), 2);
    assert.equal(f.isDuplicate(a), true);
    assert.equal(f.isDuplicate(x), false);
  });
});

// The definition, written plainly: each feature is a string, hashed whole.
const fmix = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};
const hash = (s: string, basis: number): number => {
  let h = basis;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix(h);
};
const reference = (text: string): { hi: number; lo: number } | undefined => {
  const words = text.slice(0, 8000).toLowerCase().match(/[\p{L}\p{N}]+/gu);
  if (!words) return undefined;
  const sums = new Array<number>(64).fill(0);
  const features = words.flatMap((w, i) => (i > 0 ? [w, `${words[i - 1]} ${w}`] : [w]));
  for (const f of features) {
    const hi = hash(f, 0x811c9dc5);
    const lo = hash(f, 0x050c5d1f);
    for (let b = 0; b < 32; b++) {
      sums[b] += (hi >>> b) & 1 ? 1 : -1;
      sums[32 + b] += (lo >>> b) & 1 ? 1 : -1;
    }
  }
  let hi = 0;
  let lo = 0;
  for (let b = 0; b < 32; b++) {
    if (sums[b]! > 0) hi |= 1 << b;
    if (sums[32 + b]! > 0) lo |= 1 << b;
  }
  return { hi: hi >>> 0, lo: lo >>> 0 };
};

test('fingerprints equal the definition: word and joined word-pair features hashed as strings', () => {
  const texts = [
    'How do I reset my account password?',
    'Wie setze ich mein Passwort zurück? Danke 2x!',
    'パスワード リセット 方法',
    'one',
    '!!! ???',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 words and ǅ ligatures',
    'lorem ipsum '.repeat(900),
    // Lower-casing "İ" gives "i" and a combining dot, which splits words: the most features 8,000 characters can hold.
    'İ'.repeat(9000),
  ];
  for (const t of texts) assert.deepEqual(simhash(t), reference(t), t.slice(0, 30));
});

test('fingerprints equal the definition on generated texts, up to and past the 8,000-character cap', () => {
  // A small vocabulary makes repeated features and near-even bit counts common;
  // long texts reach the cap and the upper counter planes.
  const word = fc.constantFrom('the', 'a', 'Reset', 'password', 'zurück', 'x', '42', 'naïve', 'パス', 'ǅ', 'tuba');
  const sep = fc.constantFrom(' ', '  ', ', ', '!\n', '-');
  const part = fc.tuple(word, sep);
  const text = fc
    .oneof(fc.array(part), fc.array(part, { maxLength: 3000, size: 'max' }))
    .map((parts) => parts.map(([w, s]) => w + s).join(''));
  const lengths = fc.sample(text, { seed: 7, numRuns: 300 }).map((t) => t.length);
  assert.ok(lengths.some((n) => n < 100) && lengths.some((n) => n > 8000), 'short texts and texts past the cap');
  fc.assert(
    fc.property(text, (t) => {
      assert.deepEqual(simhash(t), reference(t));
    }),
    { seed: 7, numRuns: 300, endOnFailure: true },
  );
});
