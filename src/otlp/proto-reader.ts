import { bytesToHex } from './hex';
import { malformed, overLimit } from './decode-error';
import type { DecodeLimits } from './limits';

// Protobuf wire-format primitives that trust nothing: every read is checked
// against the end of the enclosing message (not just the buffer), varints stop
// at 10 bytes, lengths must fit, groups and reserved wire types are errors.
// Varints land in r.lo / r.hi (two uint32 halves) so no read allocates.

export const WT_VARINT = 0;
export const WT_I64 = 1;
export const WT_LEN = 2;
export const WT_SGROUP = 3;
export const WT_EGROUP = 4;
export const WT_I32 = 5;

const WIRE_TYPE_NAMES = ['VARINT', 'I64', 'LEN', 'SGROUP', 'EGROUP', 'I32', 'invalid(6)', 'invalid(7)'];
const TWO_32 = 4294967296;

export class Reader {
  pos = 0;
  /** Low 32 bits of the last varint, unsigned. */
  lo = 0;
  /** High 32 bits of the last varint, unsigned. */
  hi = 0;
  /** Decoded values so far (attributes, array elements, events, links, records): bounds memory. */
  values = 0;
  /** Spans or log records so far. */
  items = 0;
  readonly buf: Buffer;
  constructor(
    body: Uint8Array,
    readonly limits: Readonly<DecodeLimits>,
  ) {
    // A Buffer view (no copy) for its native utf8 slicing.
    this.buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
}

/** Reads a varint of at most 10 bytes into r.lo / r.hi. */
export function readVarint(r: Reader, end: number): void {
  const buf = r.buf;
  let pos = r.pos;
  let lo = 0;
  let hi = 0;
  let b = 0;
  // Bytes 0-3 carry bits 0-27.
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) throw malformed('truncated varint', pos);
    b = buf[pos++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      r.lo = lo >>> 0;
      r.hi = 0;
      r.pos = pos;
      return;
    }
  }
  // Byte 4 straddles: bits 28-31 go low, bits 32-34 go high.
  if (pos >= end) throw malformed('truncated varint', pos);
  b = buf[pos++]!;
  lo |= (b & 0x0f) << 28;
  hi = (b & 0x7f) >>> 4;
  if (b >= 0x80) {
    // Bytes 5-9 carry bits 35-63; the tenth may only hold the last bit.
    for (let shift = 3; ; shift += 7) {
      if (pos >= end) throw malformed('truncated varint', pos);
      b = buf[pos++]!;
      if (shift === 31) {
        if (b > 1) throw malformed('varint longer than 10 bytes or over 64 bits', pos - 1);
        hi |= b << 31;
        break;
      }
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
  }
  r.lo = lo >>> 0;
  r.hi = hi >>> 0;
  r.pos = pos;
}

/** Reads a field tag; returns (field << 3 | wire type) as an unsigned number. */
export function readTag(r: Reader, end: number): number {
  const b = r.buf[r.pos]!;
  // Field numbers 1-15 fit in one byte: the common case skips the general loop.
  if (b < 0x80 && r.pos < end) {
    r.pos++;
    if (b < 8) throw malformed('field number 0', r.pos - 1);
    return b;
  }
  const start = r.pos;
  readVarint(r, end);
  if (r.hi !== 0 || r.lo < 8) throw malformed('invalid field tag', start);
  return r.lo;
}

export function wireTypeError(r: Reader, field: string, wt: number, want: number): Error {
  return malformed(`field ${field} has wire type ${WIRE_TYPE_NAMES[wt]}, expected ${WIRE_TYPE_NAMES[want]}`, r.pos);
}

/** Reads a length prefix; returns the end offset of the payload, checked against `end`. */
export function readLenEnd(r: Reader, end: number): number {
  const at = r.pos;
  readVarint(r, end);
  // A negative int32 length arrives as a 10-byte varint with hi set.
  if (r.hi !== 0 || r.lo > end - r.pos) {
    throw malformed(`length ${r.hi !== 0 ? 'over 2^32' : r.lo} runs past the end of the enclosing message`, at);
  }
  return r.pos + r.lo;
}

/** Skips an unknown field by its wire type. */
export function skipField(r: Reader, wt: number, end: number): void {
  switch (wt) {
    case WT_VARINT:
      readVarint(r, end);
      return;
    case WT_I64:
      skipFixed(r, 8, end);
      return;
    case WT_LEN:
      r.pos = readLenEnd(r, end);
      return;
    case WT_I32:
      skipFixed(r, 4, end);
      return;
    case WT_SGROUP:
    case WT_EGROUP:
      throw malformed('groups (wire types 3 and 4) are not supported', r.pos);
    default:
      throw malformed(`invalid wire type ${wt}`, r.pos);
  }
}

function skipFixed(r: Reader, n: number, end: number): void {
  if (end - r.pos < n) throw malformed(`truncated ${n}-byte fixed field`, r.pos);
  r.pos += n;
}

/** fixed64 nanoseconds → Unix ms float (one rounding, as Number(bigint) / 1e6 would). */
export function readFixed64Ms(r: Reader, end: number): number {
  const p = r.pos;
  if (end - p < 8) throw malformed('truncated fixed64', p);
  const buf = r.buf;
  const lo = (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16)) + buf[p + 3]! * 0x1000000;
  const hi = (buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16)) + buf[p + 7]! * 0x1000000;
  r.pos = p + 8;
  return (hi * TWO_32 + lo) / 1e6;
}

export function readDouble(r: Reader, end: number): number {
  const p = r.pos;
  if (end - p < 8) throw malformed('truncated double', p);
  r.pos = p + 8;
  return r.buf.readDoubleLE(p);
}

/** The last varint as a signed int64, as a number (exact up to 2^53, nearest double beyond). */
export function varintInt64(r: Reader): number {
  const hi = r.hi;
  if (hi < 0x80000000) return hi * TWO_32 + r.lo;
  // Two's complement negation on the halves keeps a single rounding step.
  const nlo = (~r.lo + 1) >>> 0;
  const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
  return -(nhi * TWO_32 + nlo);
}

// Buffer#toString dispatches on the encoding name on every call; the method it
// ends in is ~2x faster called directly (present on every Node Buffer).
type Utf8Slicer = { utf8Slice(start: number, end: number): string };

export function readString(r: Reader, end: number): string {
  return readStringAt(r, readLenEnd(r, end));
}

// Attribute keys repeat in nearly every span ("gen_ai.system", ...). A small
// direct-mapped cache turns the repeats into a hash and a byte compare instead
// of a new string each, and hands downstream Map lookups the same string.
const KEY_CACHE_SLOTS = 2048; // power of two
const KEY_CACHE_MAX_LEN = 64;
const keyBytes = new Uint8Array(KEY_CACHE_SLOTS * KEY_CACHE_MAX_LEN);
const keyLens = new Int32Array(KEY_CACHE_SLOTS).fill(-1);
const keyStrings: string[] = new Array<string>(KEY_CACHE_SLOTS).fill('');

/** Like readString, for attribute keys: short keys come from the cache. */
export function readKey(r: Reader, end: number): string {
  const e = readLenEnd(r, end);
  const p = r.pos;
  const n = e - p;
  if (n === 0 || n > KEY_CACHE_MAX_LEN) return readStringAt(r, e);
  const buf = r.buf;
  let h = n;
  for (let i = p; i < e; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  const slot = (h ^ (h >>> 15)) & (KEY_CACHE_SLOTS - 1);
  const base = slot * KEY_CACHE_MAX_LEN;
  r.pos = e;
  if (keyLens[slot] === n) {
    let i = 0;
    while (i < n && keyBytes[base + i] === buf[p + i]) i++;
    if (i === n) return keyStrings[slot]!;
  }
  const s = (buf as unknown as Utf8Slicer).utf8Slice(p, e);
  keyBytes.set(buf.subarray(p, e), base);
  keyLens[slot] = n;
  keyStrings[slot] = s;
  return s;
}

function readStringAt(r: Reader, e: number): string {
  const p = r.pos;
  const n = e - p;
  if (n > r.limits.maxValueBytes) throw overLimit('string value bytes', r.limits.maxValueBytes, p);
  r.pos = e;
  return n === 0 ? '' : (r.buf as unknown as Utf8Slicer).utf8Slice(p, e);
}

/** A bytes value, copied so the result does not pin the request buffer. */
export function readBytes(r: Reader, end: number): Uint8Array {
  const e = readLenEnd(r, end);
  const p = r.pos;
  if (e - p > r.limits.maxValueBytes) throw overLimit('bytes value length', r.limits.maxValueBytes, p);
  r.pos = e;
  return new Uint8Array(r.buf.subarray(p, e));
}

/** trace_id / span_id: exactly `size` bytes, or empty. */
export function readId(r: Reader, end: number, size: number): string {
  const e = readLenEnd(r, end);
  const p = r.pos;
  const n = e - p;
  if (n === 0) return '';
  if (n !== size) throw malformed(`id must be ${size} bytes or empty, got ${n}`, p);
  r.pos = e;
  return bytesToHex(r.buf, p, e);
}

export function countValues(r: Reader, n: number): void {
  r.values += n;
  if (r.values > r.limits.maxValuesPerRequest) throw overLimit('decoded values per request', r.limits.maxValuesPerRequest, r.pos);
}
