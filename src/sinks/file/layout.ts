// Where the file sink puts things, and how it reads back what a previous run
// left. The names carry the sequence numbers, so recovery needs nothing but a
// directory listing:
//
//   <root>/<topic>/dt=YYYY-MM-DD/hour=HH/.part-<first>.avro.tmp         being written
//   <root>/<topic>/dt=YYYY-MM-DD/hour=HH/part-<first>-<last>.avro       finished (fsync'd, renamed)
//   <root>/_recovery.json                                               see RecoveryMarker
//
// Sequence numbers are zero-padded to 20 digits (any unsigned 64-bit value)
// so names sort in sequence order. Files being written start with a dot and
// the marker with an underscore: Hadoop-style readers (Spark, Hive) skip both
// when they read a whole directory.

import { mkdir, open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

const SEQ_DIGITS = 20;
const FINISHED = /^part-(\d+)-(\d+)\.avro$/;
const TMP = /^\.part-(\d+)\.avro\.tmp$/;
export const MARKER_FILE = '_recovery.json';

export function padSeq(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0');
}

export function tmpFileName(firstSeq: number): string {
  return `.part-${padSeq(firstSeq)}.avro.tmp`;
}

export function finishedFileName(firstSeq: number, lastSeq: number): string {
  return `part-${padSeq(firstSeq)}-${padSeq(lastSeq)}.avro`;
}

/** `dt=YYYY-MM-DD/hour=HH` (UTC). Times that are not valid dates land in the epoch's hour, deterministically, so a re-sent entry finds the same directory. */
export function partitionOf(timeMs: number): string {
  const d = new Date(Number.isFinite(timeMs) ? timeMs : 0);
  const iso = (Number.isNaN(d.getTime()) ? new Date(0) : d).toISOString();
  return `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
}

export interface FinishedFile {
  /** Directory relative to the root, with `/` separators: `<topic>/dt=…/hour=…`. */
  key: string;
  firstSeq: number;
  lastSeq: number;
}

export interface ScanResult {
  finished: FinishedFile[];
  /** Our leftover temporary files (absolute paths) and their first sequence numbers. */
  tmps: { path: string; firstSeq: number }[];
  /** *.tmp files whose names are not ours: left alone. */
  foreignTmps: string[];
}

/** Lists every file the sink wrote under `root` (recursively). */
export async function scan(root: string): Promise<ScanResult> {
  const out: ScanResult = { finished: [], tmps: [], foreignTmps: [] };
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        await walk(path);
        continue;
      }
      const key = relative(root, dir).split(sep).join('/');
      let m = FINISHED.exec(e.name);
      if (m && key !== '') {
        out.finished.push({ key, firstSeq: Number(m[1]), lastSeq: Number(m[2]) });
      } else if ((m = TMP.exec(e.name))) {
        out.tmps.push({ path, firstSeq: Number(m[1]) });
      } else if (e.name === `${MARKER_FILE}.tmp` && key === '') {
        out.tmps.push({ path, firstSeq: Number.POSITIVE_INFINITY });
      } else if (e.name.endsWith('.tmp')) {
        out.foreignTmps.push(path);
      }
    }
  }
  await walk(root);
  return out;
}

/**
 * Deleting a crashed run's temporary files loses the only record of where the
 * gaps were. If the process died again before the gap was re-filled, the next
 * start would see only finished files and overstate durableSeq. The marker
 * keeps the bound until the sink is durable past every finished file again.
 */
export interface RecoveryMarker {
  /** Start no higher than this. */
  floor: number;
  /** …until durableSeq reaches this. */
  until: number;
}

export async function readMarker(root: string): Promise<RecoveryMarker | undefined> {
  try {
    const m = JSON.parse(await readFile(join(root, MARKER_FILE), 'utf8')) as Partial<RecoveryMarker>;
    if (typeof m.floor === 'number' && typeof m.until === 'number') return { floor: m.floor, until: m.until };
    // Unreadable content: the safest reading is "everything may be missing".
    return { floor: 0, until: Number.MAX_SAFE_INTEGER };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof SyntaxError) return { floor: 0, until: Number.MAX_SAFE_INTEGER };
    throw err;
  }
}

export async function writeMarker(root: string, marker: RecoveryMarker, sync: boolean): Promise<void> {
  const path = join(root, MARKER_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(marker) + '\n', { flag: 'w' });
  if (sync) await fsyncPath(`${path}.tmp`);
  await rename(`${path}.tmp`, path);
  if (sync) await fsyncDir(root);
}

export async function removeMarker(root: string, sync: boolean): Promise<void> {
  try {
    await unlink(join(root, MARKER_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return;
  }
  if (sync) await fsyncDir(root);
}

async function fsyncPath(path: string): Promise<void> {
  const h = await open(path, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Makes a directory's entries (creations, renames, deletions) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    await fsyncPath(dir);
  } catch (err) {
    // Some platforms and file systems cannot fsync a directory; there is nothing more to do there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw err;
  }
}

/** mkdir -p, then fsync every directory whose entry was created, so the new path survives a machine crash. */
export async function makeDirs(dir: string, sync: boolean): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (!sync || first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    await fsyncDir(d);
    if (d === first || dirname(d) === d) break;
  }
  await fsyncDir(dirname(first));
}
