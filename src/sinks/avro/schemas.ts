// Loads the Avro schemas in schemas/*.avsc once and gives every topic its
// parsed type, fingerprint and schema text. The .avsc files are the contract
// with ML teams; this module never builds a schema in code.
//
// Timestamps (`timestamp-millis`) are JavaScript numbers of Unix milliseconds,
// in and out — the model already uses numbers, so no Date objects are made per
// record. The logical type is registered anyway so that a reader can resolve a
// writer that used a plain `long`, and so exported schemas keep the annotation.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as avro from 'avsc';
import type { Topic } from '../../pipeline/contracts';
import { ERROR_CODES, FeedbackLoopError, PermanentError } from '../../pipeline/errors';
import { fingerprintBytes } from './fingerprint';

/** Which schema file each topic carries. Orphaned feedback is a LabeledInteraction without an interaction. */
export const TOPIC_SCHEMA_FILES: Readonly<Record<Topic, string>> = {
  labeled_interactions: 'labeled_interaction.avsc',
  annotation_tasks: 'annotation_task.avsc',
  training_examples: 'training_example.avsc',
  orphaned_feedback: 'labeled_interaction.avsc',
  dead_letters: 'dead_letter.avsc',
};

export interface TopicSchema {
  topic: Topic;
  /** Full name, e.g. io.otelfeedbackloop.v1.LabeledInteraction. */
  name: string;
  type: avro.Type;
  /** CRC-64-AVRO of the Parsing Canonical Form, 8 bytes little-endian, as in single-object encoding. */
  fingerprint: Buffer;
  /** The schema as written in its .avsc file (docs, defaults and logical types included), compact JSON. */
  schemaJson: string;
  /** The same, parsed: what container-file headers and schema registries get. */
  schema: avro.schema.AvroSchema;
  /** Parsing Canonical Form, the text the fingerprint is computed over. */
  canonicalForm: string;
}

export type SchemaSet = Readonly<Record<Topic, TopicSchema>>;

/** `timestamp-millis` as numbers of Unix milliseconds (see the file comment). */
export class TimestampMillisType extends avro.types.LogicalType {
  protected override _fromValue(val: unknown): unknown {
    return val;
  }
  protected override _toValue(val: unknown): unknown {
    return val;
  }
  protected override _resolve(type: avro.Type): ((val: unknown) => unknown) | undefined {
    if (avro.Type.isType(type, 'long', 'logical:timestamp-millis')) return (val) => val;
    return undefined;
  }
}

export const LOGICAL_TYPES = { 'timestamp-millis': TimestampMillisType };

/** Parses one schema with the service's logical types. */
export function parseSchema(schema: avro.schema.AvroSchema): avro.Type {
  return avro.Type.forSchema(schema, { logicalTypes: LOGICAL_TYPES });
}

/**
 * The package's schemas/ directory: the nearest ancestor of this file holding
 * package.json. Works from src/ (ts-node, tests) and from dist/src/ alike.
 */
export function defaultSchemasDir(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return join(dir, 'schemas');
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no schemas/ directory above ${__dirname}`);
    dir = parent;
  }
}

/** Reads and parses every topic's schema from `dir`. Throws a FeedbackLoopError naming the file on any problem. */
export function loadSchemas(dir: string = defaultSchemasDir()): SchemaSet {
  const byFile = new Map<string, Omit<TopicSchema, 'topic'>>();
  const out = {} as Record<Topic, TopicSchema>;
  for (const [topic, file] of Object.entries(TOPIC_SCHEMA_FILES) as [Topic, string][]) {
    let parsed = byFile.get(file);
    if (!parsed) {
      parsed = loadFile(resolve(dir, file));
      byFile.set(file, parsed);
    }
    out[topic] = { topic, ...parsed };
  }
  return out;
}

function loadFile(path: string): Omit<TopicSchema, 'topic'> {
  try {
    return compileSchema(JSON.parse(readFileSync(path, 'utf8')) as avro.schema.AvroSchema);
  } catch (err) {
    throw new FeedbackLoopError(ERROR_CODES.SCHEMA_INCOMPATIBLE, `cannot load Avro schema ${path}`, { cause: err });
  }
}

/** Parses a schema and computes its canonical form and fingerprint. */
export function compileSchema(schema: avro.schema.AvroSchema): Omit<TopicSchema, 'topic'> {
  const type = parseSchema(schema);
  // avsc's schema() without options is the Parsing Canonical Form: full
  // names, only the attributes that matter for parsing, in the spec's order.
  const canonicalForm = JSON.stringify(type.schema());
  return {
    name: type.name ?? type.typeName,
    type,
    fingerprint: fingerprintBytes(canonicalForm),
    schemaJson: JSON.stringify(schema),
    schema,
    canonicalForm,
  };
}

let cached: SchemaSet | undefined;

/** The package's schemas, parsed on first use and shared after. */
export function defaultSchemas(): SchemaSet {
  cached ??= loadSchemas();
  return cached;
}

/** Where a value does not match its topic's schema: dotted paths, no values (they may be content). */
export function invalidPaths(type: avro.Type, value: unknown): string[] {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '(root)') });
  return paths;
}

/**
 * The Avro binary encoding of `value` under `topic`'s schema: how every record
 * enters the outbox. Validates first, so a record no reader could decode fails
 * here, where it is decided (and is dead-lettered there), not in a sink. The
 * PermanentError names the failing paths, never values (they may be content).
 */
export function encodeRecord(topic: Topic, value: unknown, schemas: SchemaSet = defaultSchemas()): Buffer {
  const s = schemas[topic] as TopicSchema | undefined;
  if (!s) throw new PermanentError(ERROR_CODES.SCHEMA_INCOMPATIBLE, `no schema for topic ${String(topic)}`);
  return encodeWith(s, value);
}

/**
 * Scratch space for encoding. avsc's toBuffer writes into a 1 KiB buffer and,
 * when a value does not fit (most records here: prompts and answers are
 * kilobytes), writes the whole value a second time; encoding into a buffer
 * that grows to the largest record seen writes it once.
 */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** encodeRecord with the schema in hand. */
export function encodeWith(s: TopicSchema, value: unknown): Buffer {
  // isValid without a hook stops at the first problem: the common (valid) case pays one pass.
  if (!s.type.isValid(value)) {
    const paths = invalidPaths(s.type, value);
    throw new PermanentError(ERROR_CODES.SCHEMA_INCOMPATIBLE, `value does not match ${s.name} at ${paths.slice(0, 5).join(', ')}`);
  }
  let end = s.type.encode(value, scratch, 0);
  if (end < 0) {
    scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
    end = s.type.encode(value, scratch, 0);
  }
  return Buffer.from(scratch.subarray(0, end));
}

/** The record an outbox payload holds, decoded with its topic's schema (tests, tools). */
export function decodeRecord(topic: Topic, payload: Uint8Array, schemas: SchemaSet = defaultSchemas()): unknown {
  return schemas[topic].type.fromBuffer(Buffer.from(payload.buffer, payload.byteOffset, payload.length));
}
