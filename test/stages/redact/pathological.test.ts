// Linear time, proven on inputs built to trip backtracking matchers and
// quadratic scanners: each 100 KB input must be redacted in well under a
// second, and 8× the input must cost far less than 64× (quadratic) the time.
// CPU time, not wall time, so a busy machine does not fail the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactor } from './helpers';

const K = 100_000;
const fill = (unit: string, n = K) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

const CASES: Record<string, (n: number) => string> = {
  'a@a@a@…': (n) => fill('a@', n),
  '1-1-1-…': (n) => fill('1-', n),
  'digit run': (n) => fill('1', n),
  'aaaa…!': (n) => fill('a', n - 1) + '!',
  '1 1 1 …': (n) => fill('1 ', n),
  '0 0 0 …': (n) => fill('0 ', n),
  '1.1.1.…': (n) => fill('1.', n),
  '+1 +1 …': (n) => fill('+1 ', n),
  '(1) (1) …': (n) => fill('(1) ', n),
  'tel 1 1 1 …': (n) => 'tel ' + fill('1 ', n - 4),
  ':::…': (n) => fill(':', n),
  'f:f:f:…': (n) => fill('f:', n),
  '00-00-…': (n) => fill('00-', n),
  'eyJeyJ…': (n) => fill('eyJ', n),
  'eyJaaaa.eyJaaaa.…': (n) => fill('eyJaaaaaaaaaaa.', n),
  'sk-sk-…': (n) => fill('sk-', n),
  'AKIAAKIA…': (n) => fill('AKIA', n),
  'BEGIN PRIVATE KEY without END': (n) => fill('-----BEGIN RSA PRIVATE KEY-----', n),
  ':// ://…': (n) => fill('a://a@', n),
  'Bearer Bearer …': (n) => fill('Bearer ', n),
  'password=password=…': (n) => fill('password=', n),
  'token: token: …': (n) => fill('token: ', n),
  'password is password is …': (n) => fill('password is ', n),
  'DE89 DE89 …': (n) => fill('DE89 ', n),
  'a.a.a.…@x.com': (n) => fill('a.', n - 6) + '@x.com',
  'x@a.a.a.…': (n) => 'x@' + fill('a.', n - 2),
  '[[[[…]]]] JSON': (n) => '['.repeat(n / 2) + ']'.repeat(n / 2),
  'JSON array of emails': (n) => '[' + fill('"a@b.co",', n - 5) + '"x"]',
  ' -p -p login …': (n) => 'login' + fill(' -p', n - 5),
};

// Custom detectors with the classic catastrophic patterns run on every case too.
const r = redactor({
  custom_detectors: [
    { name: 'nested', pattern: '(a+)+$', validator: 'none', case_insensitive: false, secret: false },
    { name: 'digits', pattern: '(\\d+)+x', validator: 'luhn', case_insensitive: false, secret: false },
    { name: 'words', pattern: '(\\w+\\s?)*!', validator: 'none', case_insensitive: true, secret: false },
  ],
});

function cpuMs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** Best of three, to keep GC pauses out of the comparison. */
const best = (s: string) => Math.min(cpuMs(() => r.redactText(s)), cpuMs(() => r.redactText(s)), cpuMs(() => r.redactText(s)));

for (const [name, make] of Object.entries(CASES)) {
  test(`linear time: ${name}`, () => {
    const text = make(K);
    assert.equal(text.length, K);
    r.redactText(text); // warm up the JIT
    const ms = cpuMs(() => r.redactText(text));
    assert.ok(ms < 500, `${name}: ${ms.toFixed(0)} ms CPU for 100 KB`);
    // The whole event path too (JSON-aware fields and all).
    const asArgs = cpuMs(() =>
      r.redact({
        kind: 'content', span: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }, timeMs: 0, dialect: 'unknown', sequence: 0,
        systemInstructions: [], outputMessages: [],
        inputMessages: [{ role: 'user', parts: [{ type: 'tool_call', id: 'c', name: 'f', arguments: text }] }],
      }),
    );
    assert.ok(asArgs < 500, `${name} as tool arguments: ${asArgs.toFixed(0)} ms CPU`);
    // A quadratic scan can still pass the bound above at 100 KB; growth gives it away.
    const ratio = best(make(160_000)) / Math.max(best(make(20_000)), 0.5);
    assert.ok(ratio < 24, `${name}: 8× the input took ${ratio.toFixed(1)}× the time (quadratic would be 64×)`);
  });
}
