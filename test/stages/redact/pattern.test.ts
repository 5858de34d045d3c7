import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePattern, PatternError } from '../../../src/stages/redact/pattern';

const m = (pattern: string, text: string, ci = false) =>
  compilePattern(pattern, { caseInsensitive: ci }).matches(text).map((x) => text.slice(x.start, x.end));

test('matches: longest match ending at each position, earliest start', () => {
  assert.deepEqual(m('EMP-\\d{6}', 'ids EMP-123456, EMP-12345, xEMP-654321'), ['EMP-123456', 'EMP-654321']);
  assert.deepEqual(m('\\bEMP-\\d{6}\\b', 'xEMP-654321 EMP-111111'), ['EMP-111111']);
  assert.deepEqual(m('a|ab', 'ab'), ['a', 'ab']);
  assert.deepEqual(m('[A-Z]{2}\\d+', 'AB12 cd34 EF5'), ['AB1', 'AB12', 'EF5']);
  assert.deepEqual(m('colou?r', 'color colour'), ['color', 'colour']);
  assert.deepEqual(m('(?:ab)+', 'ababab'), ['ab', 'abab', 'ababab']);
  assert.deepEqual(m('x{2,3}', 'xxxx'), ['xx', 'xxx', 'xxx']);
  assert.deepEqual(m('ticket', 'TICKET ticket', true), ['TICKET', 'ticket']);
  assert.deepEqual(m('(?i)ticket', 'TiCkEt'), ['TiCkEt']);
  assert.deepEqual(m('^id', 'id id'), ['id']);
  assert.deepEqual(m('id$', 'id id'), ['id']);
  assert.deepEqual(m('[^\\s,]+@corp', 'a@corp, bb@corp'), ['a@corp', 'bb@corp']);
  assert.deepEqual(m('\\x41\\u0042.', 'AB\nABC'), ['ABC']);
  assert.deepEqual(m('a*', 'bbb'), [], 'empty matches are not reported');
});

test('test and fullMatch', () => {
  const p = compilePattern('(?i)passw(or)?d');
  assert.equal(p.test('db.PASSWD'), true);
  assert.equal(p.test('pass'), false);
  const full = compilePattern('.+@example\\.com');
  assert.equal(full.fullMatch('jane@example.com'), true);
  assert.equal(full.fullMatch('jane@example.com.evil.org'), false);
  assert.equal(full.fullMatch('x jane@example.co'), false);
  assert.equal(compilePattern('a*').fullMatch(''), true);
});

test('refuses what cannot run in linear time, and bad syntax, saying where', () => {
  for (const [p, why] of [
    ['(a)\\1', /backreference/],
    ['(?=a)b', /lookaround/],
    ['(?<!a)b', /lookaround/],
    ['\\p{L}', /Unicode properties/],
    ['(ab', /missing "\)"/],
    ['ab)', /unmatched/],
    ['[a-', /missing "]"/],
    ['*a', /nothing to repeat/],
    ['a{5,2}', /m < n/],
    ['a{2000}', /above 1000/],
    ['(?:a{1000}){1000}', /too large/],
  ] as const) {
    assert.throws(() => compilePattern(p), (e: unknown) => e instanceof PatternError && why.test(e.message), p);
  }
});

test('nested quantifiers are harmless: (a+)+$ and friends over 100 KB', () => {
  const input = 'a'.repeat(100_000) + '!';
  for (const p of ['(a+)+$', '(a|aa)+$', '(a*)*b', '(\\w+\\s?)+$', '\\d+\\d+\\d+x']) {
    const pattern = compilePattern(p);
    const c0 = process.cpuUsage();
    pattern.matches(input);
    pattern.test(input);
    const c = process.cpuUsage(c0);
    const ms = (c.user + c.system) / 1000;
    assert.ok(ms < 500, `${p}: ${ms.toFixed(0)} ms`);
  }
});
