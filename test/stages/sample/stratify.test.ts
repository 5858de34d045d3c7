import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stratifier, NO_STRATUM, OTHER_STRATUM } from '../../../src/stages/sample/stratify';
import { rateSpec } from '../../../src/stages/sample/budget';
import { stringAccessor } from '../../../src/stages/sample/policies/fields';
import { FakeClock } from '../../../src/telemetry';
import { interaction } from '../../helpers/events';
import { record } from '../label/record';

const rec = (model: string | undefined) => record(interaction({ responseModel: model, requestModel: model }));

test('each stratum has its own bounded budget', () => {
  const clock = new FakeClock();
  const s = new Stratifier('model', stringAccessor('model'), rateSpec({ per_hour: 60, burst: 2 }), 10, clock, 3_600_000);
  const kept = (model: string, n: number): number => {
    let k = 0;
    for (let j = 0; j < n; j++) if (s.offer(rec(model)).admitted) k++;
    return k;
  };
  assert.equal(kept('big-model', 50), 2, 'the busy stratum is capped');
  assert.equal(kept('rare-model', 1), 1, 'the rare one still gets its share');
  clock.advance(60_000);
  assert.equal(kept('big-model', 5), 1, 'one a minute');
  const last = s.offer(rec('big-model'));
  assert.equal(last.admitted, false);
  assert.ok(Math.abs(last.ratio - 3 / 55) < 1e-12, 'the stratum ratio before this offer: 3 admitted of 55');
});

test('records without the field share the (none) stratum; past max_strata, new ones share (other)', () => {
  const s = new Stratifier('model', stringAccessor('model'), rateSpec({ per_hour: 60, burst: 1 }), 2, new FakeClock(), 60_000);
  assert.equal(s.offer(rec(undefined)).stratum, NO_STRATUM);
  assert.equal(s.offer(rec('a')).stratum, 'a');
  assert.equal(s.offer(rec('b')).stratum, OTHER_STRATUM);
  const c = s.offer(rec('c'));
  assert.deepEqual([c.stratum, c.admitted], [OTHER_STRATUM, false], 'b spent the shared (other) budget');
  assert.equal(s.strata(), 2);
});
