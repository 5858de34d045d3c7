// isJson() decides which tool arguments and responses are redacted as JSON
// (and stay valid JSON) and which as plain text. It replaced a JSON.parse call
// and must accept exactly what JSON.parse accepts: checked here on hand-picked
// edge cases and on many random and mutated documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJson } from '../../../src/stages/redact/json';

const parses = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('isJson agrees with JSON.parse on edge cases', () => {
  const cases = [
    '{}', '[]', ' { } ', '\t[\n]\r', '{"a":1}', '{"a":1,}', '[1,]', '[,1]', '{,}', '{"a" 1}', '{"a":}', '{1:2}', "{'a':1}",
    '[1 2]', '[1,,2]', '[[[[]]]]', '[[[[]]]', '[]]', '{"a":[1,{"b":null}]}', '{"a":{"b":{"c":[true,false,null]}}}',
    '[tru]', '[True]', '[nul]', '[null1]', '[falsey]', '[NaN]', '[Infinity]', '[-Infinity]', '[undefined]',
    '[0]', '[-0]', '[01]', '[-01]', '[1.]', '[.5]', '[1.5]', '[1e5]', '[1E+5]', '[1e-5]', '[1e]', '[1e+]', '[-]', '[+1]', '[0x10]', '[1_000]',
    '[12345678901234567890123456789]', '[1.0e+400]', '[-0.0e-0]',
    '["a"]', '["\\""]', '["\\\\"]', '["\\/"]', '["\\b\\f\\n\\r\\t"]', '["\\u0041"]', '["\\u00e9\\uD83D\\uDE00"]', '["\\uD800"]', '["\\u12"]',
    '["\\u12G4"]', '["\\x41"]', '["\\a"]', '["\\\'"]', '["\t"]', '["\n"]', '["\u0000"]', '["\u001f"]', '["\u007f"]', '["\u2028\u2029"]',
    '["\ud800"]', '["unterminated]', '["a"', '[', '{', '"{}"', '{"a":"b"}x', '{"a":"b"} ', '\ufeff{}', '{}\u00a0', '[1]\u0000',
    '{"__proto__":1}', '{"a":1,"a":2}', '[' + '['.repeat(5000) + ']'.repeat(5000) + ']', '[' + '['.repeat(5000) + ']'.repeat(4999) + ']',
    '', ' ', '1', '"x"', 'null', 'true', ' 42 ',
  ];
  for (const s of cases) assert.equal(isJson(s), parses(s), JSON.stringify(s.slice(0, 60)));
});

test('isJson agrees with JSON.parse on random and mutated documents', () => {
  const r = seeded(97);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const scalars = ['0', '-1', '12.5', '1e3', '-0.25E-2', 'true', 'false', 'null', '"x"', '""', '"a\\"b"', '"\\u00e9"', '"\\n"', '"jane@example.com"'];
  const value = (depth: number): string => {
    const x = r();
    if (depth > 4 || x < 0.45) return pick(scalars);
    const ws = () => pick(['', '', ' ', '\n  ', '\t']);
    const n = Math.floor(r() * 4);
    if (x < 0.72) return '[' + ws() + Array.from({ length: n }, () => value(depth + 1)).join(ws() + ',' + ws()) + ws() + ']';
    return '{' + ws() + Array.from({ length: n }, (_, k) => `"k${k}"${ws()}:${ws()}${value(depth + 1)}`).join(',' + ws()) + ws() + '}';
  };
  const noise = ['{', '}', '[', ']', ',', ':', '"', '\\', 'u', '0', '1', '-', '+', '.', 'e', 'E', ' ', '\t', '\n', '\u0001', 'a', 't', 'n', 'f', '\u00a0', '\ud800'];
  let agreedValid = 0;
  for (let i = 0; i < 20_000; i++) {
    let s = value(0);
    const mutations = Math.floor(r() * 3);
    for (let m = 0; m < mutations; m++) {
      const at = Math.floor(r() * (s.length + 1));
      const op = r();
      if (op < 0.33) s = s.slice(0, at) + s.slice(at + 1);
      else if (op < 0.66) s = s.slice(0, at) + pick(noise) + s.slice(at);
      else s = s.slice(0, at) + pick(noise) + s.slice(at + 1);
    }
    const expected = parses(s);
    assert.equal(isJson(s), expected, JSON.stringify(s));
    if (expected) agreedValid++;
  }
  assert.ok(agreedValid > 5000, `enough valid documents in the mix (${agreedValid})`);
});
