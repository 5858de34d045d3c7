import { TOPICS, type OutboxEntry, type Topic } from './contracts';

// How an outbox entry is stored: a small binary frame around the Avro payload,
// so staging and draining an entry copy its bytes once each way instead of
// walking an object graph through the V8 serializer.
//
//   u8 format (1) | u8 topic index | f64 timeMs | f64 seq |
//   u32 key length | key (UTF-8) | u32 recordId length | recordId (UTF-8) | payload
//
// Entries from before this format are V8-serialized objects, whose first byte
// is the serializer's version tag 0xFF; readers tell the two apart by it.

const FORMAT = 1;
const FIXED = 1 + 1 + 8 + 8;

export function encodeEntry(e: OutboxEntry): Buffer {
  const topic = TOPICS.indexOf(e.topic);
  if (topic < 0) throw new Error(`outbox: unknown topic ${String(e.topic)}`);
  const keyLen = Buffer.byteLength(e.key);
  const idLen = Buffer.byteLength(e.recordId);
  const out = Buffer.allocUnsafe(FIXED + 4 + keyLen + 4 + idLen + e.payload.length);
  let o = out.writeUInt8(FORMAT, 0);
  o = out.writeUInt8(topic, o);
  o = out.writeDoubleLE(e.timeMs, o);
  o = out.writeDoubleLE(e.seq, o);
  o = out.writeUInt32LE(keyLen, o);
  o += out.write(e.key, o, 'utf8');
  o = out.writeUInt32LE(idLen, o);
  o += out.write(e.recordId, o, 'utf8');
  e.payload.copy(out, o);
  return out;
}

/** True if `buf` is in this format (not a V8-serialized entry from an older version). */
export function isFramedEntry(buf: Uint8Array): boolean {
  return buf.length >= FIXED && buf[0] === FORMAT;
}

export function decodeEntry(buf: Buffer): OutboxEntry {
  let o = 1;
  const topic = TOPICS[buf.readUInt8(o)] as Topic | undefined;
  if (!topic) throw new Error('outbox: corrupt entry (topic index)');
  o += 1;
  const timeMs = buf.readDoubleLE(o);
  o += 8;
  const seq = buf.readDoubleLE(o);
  o += 8;
  const keyLen = buf.readUInt32LE(o);
  o += 4;
  const key = buf.toString('utf8', o, o + keyLen);
  o += keyLen;
  const idLen = buf.readUInt32LE(o);
  o += 4;
  const recordId = buf.toString('utf8', o, o + idLen);
  o += idLen;
  // A view, not a copy: the row buffer belongs to this entry alone.
  return { seq, topic, key, recordId, payload: buf.subarray(o), timeMs };
}
