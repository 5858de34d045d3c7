import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OffsetTracker } from '../../../src/sources/kafka/offsets';

const T = 'otlp_spans';

describe('OffsetTracker: commit only past messages the pipeline took, and everything before them', () => {
  it('commits one past the last finished message (Kafka commits the next offset to read)', () => {
    const t = new OffsetTracker();
    t.begin(T, 0, '0');
    assert.equal(t.committable(T, 0), undefined, 'nothing finished yet');
    assert.deepEqual(t.pending(), []);
    t.complete(T, 0, '0');
    assert.equal(t.committable(T, 0), 1n);
    assert.deepEqual(t.pending(), [{ topic: T, partition: 0, offset: '1' }]);
  });

  it('stops at the lowest unfinished message when later ones finish first', () => {
    const t = new OffsetTracker();
    for (const o of ['5', '6', '7']) t.begin(T, 0, o);
    t.complete(T, 0, '7');
    assert.equal(t.committable(T, 0), 5n, '5 and 6 are still in the pipeline');
    t.complete(T, 0, '5');
    assert.equal(t.committable(T, 0), 6n);
    t.complete(T, 0, '6');
    assert.equal(t.committable(T, 0), 8n);
  });

  it('a message to retry blocks the commit at itself, even if later messages had finished', () => {
    const t = new OffsetTracker();
    for (const o of ['10', '11', '12']) t.begin(T, 0, o);
    t.complete(T, 0, '10');
    t.complete(T, 0, '12');
    t.rewind(T, 0, '11');
    assert.equal(t.committable(T, 0), 11n, 'commit up to (not including) the retried message');
    assert.equal(t.inFlight(), 0);
    // Fetched again from 11: 11 and 12 come again.
    t.begin(T, 0, '11');
    assert.equal(t.committable(T, 0), 11n);
    t.complete(T, 0, '11');
    t.begin(T, 0, '12');
    t.complete(T, 0, '12');
    assert.equal(t.committable(T, 0), 13n);
  });

  it('a retry of the very first message commits nothing beyond it', () => {
    const t = new OffsetTracker();
    t.begin(T, 0, '3');
    t.rewind(T, 0, '3');
    assert.equal(t.committable(T, 0), undefined);
    assert.deepEqual(t.pending(), []);
  });

  it('partitions are independent; pending lists only partitions that moved past their commit', () => {
    const t = new OffsetTracker();
    t.begin(T, 0, '0');
    t.complete(T, 0, '0');
    t.begin(T, 1, '40');
    t.begin('otlp_logs', 0, '7');
    t.complete('otlp_logs', 0, '7');
    const pending = t.pending();
    assert.deepEqual(
      pending.sort((a, b) => a.topic.localeCompare(b.topic)),
      [
        { topic: 'otlp_logs', partition: 0, offset: '8' },
        { topic: T, partition: 0, offset: '1' },
      ],
    );
    t.committed(pending);
    assert.deepEqual(t.pending(), [], 'nothing new since the commit');
    t.complete(T, 1, '40');
    assert.deepEqual(t.pending(), [{ topic: T, partition: 1, offset: '41' }]);
  });

  it('never goes backwards and handles 64-bit offsets', () => {
    const t = new OffsetTracker();
    const big = '9007199254740993'; // 2^53 + 1: not representable as a JS number
    t.begin(T, 0, big);
    t.complete(T, 0, big);
    assert.deepEqual(t.pending(), [{ topic: T, partition: 0, offset: '9007199254740994' }]);
    t.committed(t.pending());
    t.committed([{ topic: T, partition: 0, offset: '5' }]);
    assert.deepEqual(t.pending(), [], 'an older commit does not lower what is known committed');
  });

  it('reset (a rebalance) forgets every partition', () => {
    const t = new OffsetTracker();
    t.begin(T, 0, '1');
    t.complete(T, 0, '1');
    t.begin(T, 0, '2');
    t.reset();
    assert.deepEqual(t.pending(), []);
    assert.equal(t.inFlight(), 0);
  });

  it('property: the committed offset never passes a message that was not finished', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { minLength: 0, maxLength: 80 }),
        (finishes, order) => {
          const t = new OffsetTracker();
          const n = finishes.length;
          for (let o = 0; o < n; o++) t.begin(T, 0, String(o));
          // Finish the chosen messages in an arbitrary order.
          const toFinish = [...Array(n).keys()].filter((o) => finishes[o]);
          for (const r of order) {
            if (toFinish.length === 0) break;
            const [o] = toFinish.splice(r % toFinish.length, 1);
            t.complete(T, 0, String(o));
          }
          const finished = new Set([...Array(n).keys()].filter((o) => finishes[o] && !toFinish.includes(o)));
          const c = t.committable(T, 0);
          if (c === undefined) return finished.size === 0;
          // Every offset below the commit is finished.
          for (let o = 0; o < Number(c); o++) if (!finished.has(o)) return false;
          return true;
        },
      ),
    );
  });
});
