import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizedEditDistance, similarity } from '../../../src/stages/join/implicit';

test('edit distance counts rewritten words, normalized by the longer text', () => {
  assert.equal(normalizedEditDistance('a b c d', 'a b c d'), 0);
  assert.equal(normalizedEditDistance('open settings and choose reset', 'open settings then choose reset'), 1 / 5);
  assert.equal(normalizedEditDistance('one two', 'three four five six'), 1);
  assert.equal(normalizedEditDistance('', 'x'), 1);
  assert.equal(normalizedEditDistance('  ', ''), 0);
});

test('edit distance on very long texts stays bounded in time', () => {
  const long = Array.from({ length: 5000 }, (_, i) => `w${i % 97}`).join(' ');
  const t0 = performance.now();
  const d = normalizedEditDistance(long, long.replace(/w1 /g, 'x1 '));
  assert.ok(d > 0 && d < 0.1, String(d));
  assert.ok(performance.now() - t0 < 2000);
});

test('similar prompts score high, different ones low', () => {
  assert.ok(similarity('How do I reset my account password?', 'how can I reset my account password') > 0.5);
  assert.ok(similarity('How do I reset my account password?', 'What are your opening hours on Sunday?') < 0.3);
  assert.equal(similarity('', 'x'), 0);
});

test('similarity on packed trigram codes (hashed sets) equals Jaccard over trigram strings', () => {
  // The definition, written plainly: sets of 3-character strings.
  const grams = (s: string): Set<string> => {
    const t = ` ${s.slice(0, 400).toLowerCase().replace(/\s+/g, ' ')} `;
    const out = new Set<string>();
    for (let i = 0; i + 3 <= t.length; i++) out.add(t.slice(i, i + 3));
    return out;
  };
  const jaccard = (a: string, b: string): number => {
    if (!a || !b) return 0;
    const A = grams(a);
    const B = grams(b);
    let inter = 0;
    for (const g of A) if (B.has(g)) inter++;
    return inter / (A.size + B.size - inter);
  };
  const texts = [
    'How do I reset my account password?',
    'how can I reset   my account\tpassword',
    'Wie setze ich mein Passwort zurück? 🙂 Danke!',
    'パスワードをリセットするにはどうすればよいですか',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'a',
    'x'.repeat(900) + ' tail that is past the compared head',
    'Ünïcödé ǅ ﬁ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 surrogate pairs',
  ];
  for (const a of texts) for (const b of texts) assert.equal(similarity(a, b), jaccard(a, b), `${a.slice(0, 20)} / ${b.slice(0, 20)}`);
});
