import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AdmitRatio, Budget, rateSpec, TokenBucket } from '../../../src/stages/sample/budget';
import { FakeClock } from '../../../src/telemetry';

describe('rateSpec', () => {
  test('per second: one second of burst; per hour: one minute of burst; at least 1', () => {
    assert.deepEqual(rateSpec({ per_second: 5 }), { perMs: 0.005, capacity: 5 });
    assert.deepEqual(rateSpec({ per_hour: 600 }), { perMs: 600 / 3_600_000, capacity: 10 });
    assert.equal(rateSpec({ per_hour: 10 }).capacity, 1);
    assert.equal(rateSpec({ per_second: 0.25 }).capacity, 1);
    assert.equal(rateSpec({ per_hour: 600, burst: 3 }).capacity, 3);
  });
});

describe('TokenBucket on the injected clock', () => {
  test('starts full, empties, refills with time, never above capacity', () => {
    const clock = new FakeClock();
    const b = new TokenBucket({ perMs: 1 / 1000, capacity: 3 }, clock);
    assert.equal([b.take(), b.take(), b.take(), b.take()].filter(Boolean).length, 3);
    clock.advance(999);
    assert.equal(b.take(), false, 'not quite one token yet');
    clock.advance(1);
    assert.equal(b.take(), true);
    clock.advance(3_600_000);
    assert.equal(b.tokens(), 3, 'capped at capacity after an idle hour');
  });

  test('a clock that steps back adds nothing', () => {
    const clock = new FakeClock(1_000_000);
    const b = new TokenBucket({ perMs: 1 / 1000, capacity: 1 }, clock);
    assert.equal(b.take(), true);
    clock.set(500_000);
    assert.equal(b.take(), false);
    clock.set(1_000_999);
    assert.equal(b.take(), false);
    clock.set(1_001_000);
    assert.equal(b.take(), true);
  });

  test('a reserve leaves room for higher priorities', () => {
    const b = new TokenBucket({ perMs: 0, capacity: 10 }, new FakeClock());
    let low = 0;
    while (b.take(0.5)) low++;
    assert.equal(low, 5, 'the low class stops with half the bucket left');
    let high = 0;
    while (b.take(0)) high++;
    assert.equal(high, 5);
  });

  test('at most capacity + rate × time over any span', () => {
    const clock = new FakeClock();
    const b = new TokenBucket(rateSpec({ per_hour: 600 }), clock);
    let taken = 0;
    for (let s = 0; s < 3600; s++) {
      for (let k = 0; k < 5; k++) if (b.take()) taken++;
      clock.advance(1000);
    }
    assert.ok(taken <= 610 && taken >= 600, `taken ${taken}`);
  });
});

describe('AdmitRatio', () => {
  test('1 before anything is offered; admitted / offered over the current and previous window', () => {
    const clock = new FakeClock();
    const r = new AdmitRatio(60_000, clock);
    assert.equal(r.ratio(), 1);
    r.record(true);
    r.record(false);
    assert.equal(r.ratio(), 0.5);
    clock.advance(60_000);
    r.record(true);
    r.record(true);
    assert.equal(r.ratio(), 3 / 4, 'previous window still counts');
    clock.advance(60_000);
    assert.equal(r.ratio(), 1, 'the oldest window has rolled off: 2 of 2');
    clock.advance(120_000);
    assert.equal(r.ratio(), 1, 'nothing offered for two windows');
  });

  test('record() returns the ratio over the offers before this one', () => {
    const r = new AdmitRatio(60_000, new FakeClock());
    assert.equal(r.record(true), 1, 'nothing before: 1');
    assert.equal(r.record(false), 1, '1 of 1 before');
    assert.equal(r.record(true), 1 / 2, '1 of 2 before');
    const none = new AdmitRatio(60_000, new FakeClock());
    none.record(false);
    none.record(false);
    assert.equal(none.record(true), 1 / 3, 'nothing admitted before: 1 / offers including this one');
  });

  test('a Budget counts refusals in its ratio', () => {
    const clock = new FakeClock();
    const b = new Budget({ perMs: 0, capacity: 2 }, clock, 60_000);
    const offers = [b.offer(), b.offer(), b.offer(), b.offer()];
    assert.deepEqual(offers.map((o) => o.admitted), [true, true, false, false]);
    assert.deepEqual(offers.map((o) => o.ratio), [1, 1, 1, 2 / 3]);
    assert.equal(b.ratio(), 0.5);
  });
});
