import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finishedFileName, partitionOf, readMarker, scan, tmpFileName, writeMarker } from '../../../src/sinks/file/layout';
import { removeTempDirs, tempDir } from './helpers';

after(removeTempDirs);

describe('file sink layout', () => {
  it('partitions by UTC date and hour', () => {
    assert.equal(partitionOf(Date.UTC(2026, 0, 31, 23, 59, 59, 999)), 'dt=2026-01-31/hour=23');
    assert.equal(partitionOf(Date.UTC(2026, 1, 1, 0, 0, 0, 0)), 'dt=2026-02-01/hour=00');
  });

  it('puts times that are not dates in the epoch hour, deterministically', () => {
    assert.equal(partitionOf(Number.NaN), 'dt=1970-01-01/hour=00');
    assert.equal(partitionOf(9e15), 'dt=1970-01-01/hour=00'); // past the largest Date
  });

  it('names files by zero-padded seq so they sort; files being written are hidden', () => {
    assert.equal(finishedFileName(7, 1234), 'part-00000000000000000007-00000000000000001234.avro');
    assert.equal(tmpFileName(7), '.part-00000000000000000007.avro.tmp');
    const names = [finishedFileName(10, 11), finishedFileName(9, 9), finishedFileName(100, 200)].sort();
    assert.deepEqual(names, [finishedFileName(9, 9), finishedFileName(10, 11), finishedFileName(100, 200)]);
  });

  it('scans finished files per directory, its own .tmp files, and leaves others alone', async () => {
    const root = tempDir();
    const d = join(root, 'dead_letters', 'dt=2026-03-14', 'hour=09');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, finishedFileName(1, 5)), '');
    writeFileSync(join(d, tmpFileName(6)), '');
    writeFileSync(join(d, 'notes.tmp'), '');
    writeFileSync(join(d, 'README'), '');
    const found = await scan(root);
    assert.deepEqual(found.finished, [{ key: 'dead_letters/dt=2026-03-14/hour=09', firstSeq: 1, lastSeq: 5 }]);
    assert.deepEqual(found.tmps, [{ path: join(d, tmpFileName(6)), firstSeq: 6 }]);
    assert.deepEqual(found.foreignTmps, [join(d, 'notes.tmp')]);
    assert.deepEqual(await scan(join(root, 'missing')), { finished: [], tmps: [], foreignTmps: [] });
  });

  it('reads back the recovery marker, and reads a damaged one as "start from 0"', async () => {
    const root = tempDir();
    assert.equal(await readMarker(root), undefined);
    await writeMarker(root, { floor: 3, until: 44 }, true);
    assert.deepEqual(await readMarker(root), { floor: 3, until: 44 });
    writeFileSync(join(root, '_recovery.json'), '{"floor": 3, "unt');
    assert.deepEqual(await readMarker(root), { floor: 0, until: Number.MAX_SAFE_INTEGER });
  });
});
