import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
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
