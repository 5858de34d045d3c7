// Reads what the file sink wrote, the way an ML team's consumer would: any
// Avro reader, the writer schema taken from each file's header. Used by the
// demo and by end-to-end tests to find the records a run produced.
//
// Only finished files (`part-<first>-<last>.avro`) are read; `*.avro.tmp`
// files are still being written. Finished files never change, so each is
// decoded once and cached.

import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { createFileDecoder } from 'avsc';

export const TOPICS = ['labeled_interactions', 'annotation_tasks', 'training_examples', 'orphaned_feedback', 'dead_letters'] as const;

export interface FileRecord {
  topic: string;
  /** Path relative to the output root. */
  file: string;
  value: Record<string, unknown>;
}

export class AvroOutputReader {
  private readonly cache = new Map<string, Record<string, unknown>[]>();
  private ignored = new Set<string>();

  constructor(readonly root: string) {}

  /**
   * Remembers the files that exist now, so later reads only return what was
   * written afterwards (a demo run should not show last week's records).
   */
  async ignoreExisting(): Promise<void> {
    this.ignored = new Set(await listFinished(this.root));
  }

  /** Every record in finished files not ignored, by topic directory. */
  async read(): Promise<FileRecord[]> {
    const out: FileRecord[] = [];
    for (const path of await listFinished(this.root)) {
      if (this.ignored.has(path)) continue;
      let values = this.cache.get(path);
      if (!values) {
        values = await readAvroFile(join(this.root, path));
        this.cache.set(path, values);
      }
      const topic = path.split('/')[0];
      for (const value of values) out.push({ topic, file: path, value });
    }
    return out;
  }
}

/** Decodes one Avro object container file with the schema in its header. */
export function readAvroFile(path: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const values: Record<string, unknown>[] = [];
    createFileDecoder(path)
      .on('data', (v: unknown) => {
        if (typeof v === 'object' && v !== null) values.push(v as Record<string, unknown>);
      })
      .on('error', reject)
      .on('end', () => resolve(values));
  });
}

/** Finished container files under root, as `/`-separated relative paths, sorted. */
export async function listFinished(root: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.avro')) found.push(relative(root, p).split(sep).join('/'));
    }
  }
  await walk(root);
  return found.sort();
}

// ---------------------------------------------------------------------------
// Field access that tolerates schema evolution: a missing field is undefined,
// never an exception, and a union written in avsc's wrapped form
// ({"string": "x"}, {"io.ns.Type": {...}}) is unwrapped.

/** Value at a dotted path, e.g. "interaction.usage.input_tokens". */
export function field(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const key of path.split('.')) {
    cur = unwrap(cur);
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return unwrap(cur);
}

export function text(value: unknown, path: string): string | undefined {
  const v = field(value, path);
  return typeof v === 'string' ? v : undefined;
}

export function num(value: unknown, path: string): number | undefined {
  const v = field(value, path);
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
}

export function list(value: unknown, path: string): unknown[] {
  const v = field(value, path);
  return Array.isArray(v) ? v : [];
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string', 'array', 'map']);

function unwrap(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Buffer.isBuffer(v)) return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && (PRIMITIVES.has(keys[0]) || keys[0].includes('.'))) {
    return unwrap((v as Record<string, unknown>)[keys[0]]);
  }
  return v;
}

/** The first user message's text in a labeled record (already redacted by the service). */
export function firstUserMessage(record: unknown): string | undefined {
  for (const m of list(record, 'interaction.input_messages')) {
    if (text(m, 'role') !== 'user') continue;
    const parts = list(m, 'parts')
      .map((p) => text(p, 'content'))
      .filter((s): s is string => s !== undefined);
    if (parts.length > 0) return parts.join(' ');
  }
  return undefined;
}
