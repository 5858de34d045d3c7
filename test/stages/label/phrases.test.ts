import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PhraseMatcher, normalizeText } from '../../../src/stages/label/phrases';

test('the compiled matcher finds phrases across ASCII and non-ASCII text, with overlaps and failure links', () => {
  const m = new PhraseMatcher(['respond in json', 'as json', 'json only', 'ich kann nicht', '申し訳ありません', 'no puedo', 'abcd', 'bcx']);
  const cases: Array<[string, boolean]> = [
    ['please answer As JSON now', true],
    ['Ich kann nicht helfen', true],
    ['申し訳ありませんが、できません', true],
    ['nothing here at all', false],
    ['xxas jsonyy', true],
    ['a s json', false],
    ['emoji 😀 then as json', true],
    ['abcx', true], // "abcd" fails at x; the failure link to "bc" must complete "bcx"
    ['abcabcd', true],
    ['no pued o', false],
  ];
  for (const [text, want] of cases) assert.equal(m.test(normalizeText(text)), want, text);
});

test('testText normalizes inline exactly as normalizeText does', () => {
  const m = new PhraseMatcher(["i can't help", 'respond in json', 'я не могу', 'as json']);
  const texts = [
    'Sorry, I CAN\u2019T   help with that.',
    'Please RESPOND\n\t in   JSON.',
    'Я НЕ МОГУ это сделать',
    'nothing to see',
    'as\u00a0json', // a non-breaking space is whitespace to normalizeText as well
    'ÄS JSON',
  ];
  for (const t of texts) assert.equal(m.testText(t), m.test(normalizeText(t)), JSON.stringify(t));
  assert.equal(m.testText('xxxx respond in json', 8), m.test(normalizeText('xxxx respond in json', 8)));
});

test('scanning is linear: a long text without a phrase is cheap', () => {
  const m = new PhraseMatcher(['respond in json', 'json only']);
  const big = normalizeText('jso jso json-ish '.repeat(20_000));
  const t0 = performance.now();
  assert.equal(m.test(big), false);
  assert.ok(performance.now() - t0 < 500);
});
