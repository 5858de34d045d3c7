// Shared by the file sink tests: entries of every topic, and an independent
// reader (avsc's file decoder, not the writer's code) for what ends up on disk.

import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import * as avro from 'avsc';
import type { OutboxEntry, Topic } from '../../../src/pipeline/contracts';
import { annotationTaskToAvro, deadLetterToAvro, encodeRecord, labeledRecordToAvro, trainingExampleToAvro } from '../../../src/sinks/avro';
import { fileSinkConfigSchema, type FileSinkConfig } from '../../../src/sinks/file';
import { FakeClock, Metrics, silentLogger, type ComponentContext } from '../../../src/telemetry';
import * as fx from '../../fixtures/avro/records';
import { plain } from '../avro/helpers';

export const HOUR = 3_600_000;
export const T0 = Date.UTC(2026, 2, 14, 9, 0, 0);

const made: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'file-sink-test-'));
  made.push(dir);
  return dir;
}

/** Register with `after(removeTempDirs)` in each test file. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function context(clock = new FakeClock(T0)): ComponentContext & { clock: FakeClock } {
  return { logger: silentLogger(), metrics: new Metrics(), clock };
}

export function config(directory: string, over: Record<string, unknown> = {}): FileSinkConfig {
  return fileSinkConfigSchema.parse({ directory, roll_interval: '1h', check_interval: '1h', ...over });
}

/** The id a record of `topic` carries, made from its seq so each entry is recognisable on disk. */
export function idOf(topic: Topic, record: Record<string, unknown>): string {
  switch (topic) {
    case 'annotation_tasks':
      return record['task_id'] as string;
    case 'training_examples':
      return record['example_id'] as string;
    case 'dead_letters':
      return record['detail'] as string;
    default:
      return record['record_id'] as string;
  }
}

/** An entry of `topic` whose id is `id-<seq>`. `full` picks the fully populated fixture (bigger). */
/** An outbox entry as the decider makes it, with the value its payload encodes, for comparing with what a reader decodes. */
export type TestEntry = OutboxEntry & { value: Record<string, unknown> };

/** `e` with another value (and the payload that encodes it). */
export function withValue(e: TestEntry, over: Partial<TestEntry>, value: Record<string, unknown>): TestEntry {
  return { ...e, ...over, value, payload: encodeRecord(e.topic, value) };
}

export function entry(seq: number, topic: Topic, timeMs: number, full = true): TestEntry {
  const id = `id-${seq}`;
  let value: Record<string, unknown>;
  switch (topic) {
    case 'annotation_tasks':
      value = annotationTaskToAvro({ ...(full ? fx.fullAnnotationTask() : fx.minimalAnnotationTask()), taskId: id, createdMs: timeMs });
      break;
    case 'training_examples':
      value = trainingExampleToAvro({ ...(full ? fx.fullTrainingExample() : fx.minimalTrainingExample()), exampleId: id, createdMs: timeMs });
      break;
    case 'dead_letters':
      value = deadLetterToAvro({ ...(full ? fx.fullDeadLetter() : fx.minimalDeadLetter()), detail: id, receivedMs: timeMs });
      break;
    case 'orphaned_feedback':
      value = labeledRecordToAvro({ ...fx.minimalLabeledRecord(), recordId: id, emittedMs: timeMs });
      break;
    default: {
      const rec = { ...(full ? fx.fullLabeledRecord() : fx.minimalLabeledRecord()), recordId: id, emittedMs: timeMs };
      // Text that differs per entry and does not compress away, so deflated files grow like real ones.
      if (rec.interaction) rec.interaction.outputMessages = [{ role: 'assistant', parts: [{ type: 'text', content: noise(seq, 1024) }] }];
      value = labeledRecordToAvro(rec);
    }
  }
  return { seq, topic, key: `req-${seq}`, recordId: id, value, payload: encodeRecord(topic, value), timeMs };
}

/** `length` characters of deterministic, incompressible text. */
function noise(seed: number, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += createHash('sha256').update(`${seed}:${i}`).digest('base64');
  return out.slice(0, length);
}

export interface FileContents {
  /** Relative to the root, `/`-separated. */
  path: string;
  records: Record<string, unknown>[];
  codec: string;
  /** The writer schema from the file header. */
  schema: Record<string, unknown>;
}

/** Every file under `root` (recursively), relative paths, sorted. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  (function walk(dir: string): void {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p).split(sep).join('/'));
    }
  })(root);
  return out.sort();
}

export async function readContainer(root: string, path: string): Promise<FileContents> {
  return new Promise((resolve, reject) => {
    const records: Record<string, unknown>[] = [];
    let codec = '';
    let schema: Record<string, unknown> = {};
    avro
      .createFileDecoder(join(root, path))
      .on('metadata', (_type: avro.Type, c: string, header: { meta: Record<string, Buffer> }) => {
        codec = c;
        schema = JSON.parse(header.meta['avro.schema']!.toString('utf8')) as Record<string, unknown>;
      })
      .on('data', (r: unknown) => records.push(plain(r) as Record<string, unknown>))
      .on('error', reject)
      .on('end', () => resolve({ path, records, codec, schema }));
  });
}

/** Every finished .avro file under `root`, decoded. */
export async function readAll(root: string): Promise<FileContents[]> {
  const files = listFiles(root).filter((p) => p.endsWith('.avro'));
  return Promise.all(files.map((p) => readContainer(root, p)));
}

/** The [first, last] seq range in a finished file's name. */
export function rangeOf(path: string): [number, number] {
  const m = /part-(\d+)-(\d+)\.avro$/.exec(path);
  if (!m) throw new Error(`not a finished file: ${path}`);
  return [Number(m[1]), Number(m[2])];
}

/** `<topic>/dt=YYYY-MM-DD/hour=HH` for a time. */
export function partitionDir(topic: Topic, timeMs: number): string {
  const iso = new Date(timeMs).toISOString();
  return `${topic}/dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
}
