// Avro single-object encoding (spec: "Single object encoding"): the two-byte
// marker C3 01, the writer schema's CRC-64-AVRO fingerprint in 8 bytes
// little-endian, then the Avro binary encoding of the value. A reader that
// knows the schemas by fingerprint can decode a message without a registry;
// the Kafka sink uses it when no schema registry is configured.

import type { Topic } from '../../pipeline/contracts';
import { ERROR_CODES, PermanentError } from '../../pipeline/errors';
import { defaultSchemas, encodeRecord, type SchemaSet, type TopicSchema } from './schemas';

export const SINGLE_OBJECT_MARKER = Buffer.from([0xc3, 0x01]);
const HEADER_LENGTH = SINGLE_OBJECT_MARKER.length + 8;

/** Encodes `value` with `topic`'s schema. Throws a PermanentError (paths, never values) if it does not validate. */
export function encodeSingleObject(topic: Topic, value: unknown, schemas: SchemaSet = defaultSchemas()): Buffer {
  const body = encodeRecord(topic, value, schemas);
  return Buffer.concat([SINGLE_OBJECT_MARKER, schemas[topic].fingerprint, body]);
}

/** The fingerprint of a single-object message, or undefined if `buf` is not one. */
export function singleObjectFingerprint(buf: Uint8Array): Buffer | undefined {
  if (buf.length < HEADER_LENGTH || buf[0] !== 0xc3 || buf[1] !== 0x01) return undefined;
  return Buffer.from(buf.buffer, buf.byteOffset + 2, 8);
}

/** Decodes a single-object message written with one of `schemas`. Throws a PermanentError otherwise. */
export function decodeSingleObject(
  buf: Uint8Array,
  schemas: SchemaSet = defaultSchemas(),
): { schema: TopicSchema; value: unknown } {
  const fp = singleObjectFingerprint(buf);
  if (!fp) throw new PermanentError(ERROR_CODES.SCHEMA_INCOMPATIBLE, 'not an Avro single-object message');
  const schema = Object.values(schemas).find((s) => s.fingerprint.equals(fp));
  if (!schema) {
    throw new PermanentError(ERROR_CODES.SCHEMA_INCOMPATIBLE, `unknown schema fingerprint ${fp.toString('hex')}`);
  }
  const body = Buffer.from(buf.buffer, buf.byteOffset + HEADER_LENGTH, buf.length - HEADER_LENGTH);
  return { schema, value: schema.type.fromBuffer(body) };
}
