// How one outbox entry becomes one Kafka message: the value's wire format and
// the headers. Pure functions, so both formats are tested without a broker.
//
//   single-object (no registry): C3 01 | CRC-64-AVRO fingerprint, 8 bytes LE | Avro binary
//   Confluent (registry):        00    | schema id, 4 bytes big-endian      | Avro binary

import type { IHeaders } from 'kafkajs';
import type { OutboxEntry } from '../../pipeline/contracts';
import { SINGLE_OBJECT_MARKER } from '../avro/single-object';
import { encodeWith, type TopicSchema } from '../avro/schemas';

export const CONFLUENT_MAGIC = 0;

/** Header names. Values are UTF-8 strings. */
export const HEADER = {
  /** Full schema name, e.g. io.otelfeedbackloop.v1.LabeledInteraction. */
  schemaName: 'schema.name',
  /** CRC-64-AVRO of the schema's canonical form: the 8 bytes of the single-object header, as 16 hex digits. */
  schemaFingerprint: 'schema.fingerprint',
  /** The record's deterministic id: consumers dedupe on it (delivery is at-least-once). */
  recordId: 'record.id',
} as const;

/**
 * The Kafka message value for an already-encoded Avro body: Confluent framing
 * when a registry id is given, single-object otherwise.
 */
export function frameValue(schema: TopicSchema, body: Buffer, registryId?: number): Buffer {
  if (registryId === undefined) return Buffer.concat([SINGLE_OBJECT_MARKER, schema.fingerprint, body]);
  const head = Buffer.alloc(5);
  head.writeUInt8(CONFLUENT_MAGIC, 0);
  head.writeUInt32BE(registryId, 1);
  return Buffer.concat([head, body]);
}

/**
 * The Avro value of `value` in the sink's wire format. Throws a PermanentError
 * naming the failing field paths (never values) if it does not validate.
 */
export function encodeValue(schema: TopicSchema, value: unknown, registryId?: number): Buffer {
  return frameValue(schema, encodeWith(schema, value), registryId);
}

export function messageHeaders(schema: TopicSchema, entry: OutboxEntry): IHeaders {
  return {
    [HEADER.schemaName]: schema.name,
    [HEADER.schemaFingerprint]: schema.fingerprint.toString('hex'),
    [HEADER.recordId]: entry.recordId,
  };
}

/** Splits a Confluent wire-format value into its schema id and Avro body; undefined if it is not one. */
export function parseConfluent(buf: Uint8Array): { id: number; body: Buffer } | undefined {
  if (buf.length < 5 || buf[0] !== CONFLUENT_MAGIC) return undefined;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  return { id: b.readUInt32BE(1), body: b.subarray(5) };
}
