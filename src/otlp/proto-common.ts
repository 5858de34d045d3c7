import { at, overLimit } from './decode-error';
import {
  Reader,
  WT_I64,
  WT_LEN,
  WT_VARINT,
  countValues,
  readBytes,
  readDouble,
  readId,
  readKey,
  readLenEnd,
  readString,
  readTag,
  readVarint,
  skipField,
  varintInt64,
  wireTypeError,
} from './proto-reader';
import type { AnyValue, InstrumentationScope, Resource } from './types';

// The OTLP messages both signals share (common.proto, resource.proto), and the
// wrong-wire-type check every message decoder ends its switch with. Tags are
// literals: (field << 3 | wire type), with field and wire type beside them.

const F_ATTRIBUTES = [1, 'attributes'] as const;
const F_KEY_VALUE = [1, 'key', 2, 'value'] as const;
const F_NAME_VERSION_ATTRIBUTES = [1, 'name', 2, 'version', 3, 'attributes'] as const;
const F_STRING_VALUE_ETC = [1, 'string_value', 2, 'bool_value', 3, 'int_value', 4, 'double_value', 5, 'array_value', 6, 'kvlist_value', 7, 'bytes_value'] as const;
const F_VALUES = [1, 'values'] as const;

/**
 * A tag no case matched: a known field number here means a wrong wire type
 * (an error); anything else is an unknown field to skip.
 * `known` lists the message's decoded field numbers with their names.
 */
export function unknown(r: Reader, tag: number, end: number, known: readonly (number | string)[]): void {
  const field = tag >>> 3;
  for (let i = 0; i < known.length; i += 2) {
    if (known[i] === field) throw wireTypeError(r, known[i + 1] as string, tag & 7, expectedWireType(known[i + 1] as string));
  }
  skipField(r, tag & 7, end);
}

// Only used to word the error message for a wrong wire type.
const NON_LEN_FIELDS: Record<string, number> = {
  kind: WT_VARINT,
  start_time_unix_nano: WT_I64,
  end_time_unix_nano: WT_I64,
  time_unix_nano: WT_I64,
  observed_time_unix_nano: WT_I64,
  severity_number: WT_VARINT,
  code: WT_VARINT,
  bool_value: WT_VARINT,
  int_value: WT_VARINT,
  double_value: WT_I64,
};

function expectedWireType(name: string): number {
  return NON_LEN_FIELDS[name] ?? WT_LEN;
}

/** Resource { attributes = 1 }. A repeated message field merges, as protobuf requires. */
export function decodeResource(r: Reader, end: number, into: Resource | undefined): Resource {
  const resource = into ?? { attributes: new Map() };
  try {
    let count = resource.attributes.size;
    while (r.pos < end) {
      const tag = readTag(r, end);
      if (tag === 10 /* 1:LEN */) {
        decodeKeyValue(r, readLenEnd(r, end), resource.attributes, ++count, 1);
      } else unknown(r, tag, end, F_ATTRIBUTES);
    }
  } catch (e) {
    throw at(e, 'resource');
  }
  return resource;
}

/** InstrumentationScope { name = 1, version = 2, attributes = 3 }. */
export function decodeScope(r: Reader, end: number, into: InstrumentationScope | undefined): InstrumentationScope {
  const scope = into ?? { name: '', version: '', attributes: new Map() };
  try {
    let count = scope.attributes.size;
    while (r.pos < end) {
      const tag = readTag(r, end);
      if (tag === 10 /* 1:LEN */) scope.name = readString(r, end);
      else if (tag === 18 /* 2:LEN */) scope.version = readString(r, end);
      else if (tag === 26 /* 3:LEN */) decodeKeyValue(r, readLenEnd(r, end), scope.attributes, ++count, 1);
      else unknown(r, tag, end, F_NAME_VERSION_ATTRIBUTES);
    }
  } catch (e) {
    throw at(e, 'scope');
  }
  return scope;
}

export function readIdField(r: Reader, end: number, size: number, name: string): string {
  try {
    return readId(r, end, size);
  } catch (e) {
    throw at(e, name);
  }
}

/**
 * KeyValue { key = 1, value = 2 } into `map`; `count` is this entry's
 * 1-based position among its siblings (duplicates count: the map dedupes them
 * but they still cost decoding work).
 */
export function decodeKeyValue(r: Reader, end: number, map: Map<string, AnyValue>, count: number, depth: number): void {
  if (count > r.limits.maxAttributesPerItem) throw overLimit('attributes per item', r.limits.maxAttributesPerItem, r.pos);
  countValues(r, 1);
  let key = '';
  let value: AnyValue = null;
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 10 /* 1:LEN */) key = readKey(r, end);
    else if (tag === 18 /* 2:LEN */) {
      try {
        value = decodeAnyValue(r, readLenEnd(r, end), depth);
      } catch (e) {
        throw at(e, 'value');
      }
    } else unknown(r, tag, end, F_KEY_VALUE);
  }
  map.set(key, value);
}

/** AnyValue oneof { string 1, bool 2, int64 3, double 4, array 5, kvlist 6, bytes 7 }; unset → null. */
export function decodeAnyValue(r: Reader, end: number, depth: number): AnyValue {
  if (depth > r.limits.maxAnyValueDepth) throw overLimit('AnyValue nesting depth', r.limits.maxAnyValueDepth, r.pos);
  let out: AnyValue = null;
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 10 /* 1:LEN */: out = readString(r, end); break;
      case 16 /* 2:VARINT */: readVarint(r, end); out = (r.lo | r.hi) !== 0; break;
      case 24 /* 3:VARINT */: readVarint(r, end); out = varintInt64(r); break;
      case 33 /* 4:I64 */: out = readDouble(r, end); break;
      case 42 /* 5:LEN */:
        try {
          out = decodeArrayValue(r, readLenEnd(r, end), depth + 1);
        } catch (e) {
          throw at(e, 'array_value');
        }
        break;
      case 50 /* 6:LEN */:
        try {
          out = decodeKvlistValue(r, readLenEnd(r, end), depth + 1);
        } catch (e) {
          throw at(e, 'kvlist_value');
        }
        break;
      case 58 /* 7:LEN */: out = readBytes(r, end); break;
      default:
        unknown(r, tag, end, F_STRING_VALUE_ETC);
    }
  }
  return out;
}

/** ArrayValue { repeated AnyValue values = 1 }; elements are one level deeper. */
function decodeArrayValue(r: Reader, end: number, depth: number): AnyValue[] {
  const arr: AnyValue[] = [];
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 10 /* 1:LEN */) {
      if (arr.length >= r.limits.maxArrayValues) throw overLimit('array values', r.limits.maxArrayValues, r.pos);
      countValues(r, 1);
      try {
        arr.push(decodeAnyValue(r, readLenEnd(r, end), depth));
      } catch (e) {
        throw at(e, `values[${arr.length}]`);
      }
    } else unknown(r, tag, end, F_VALUES);
  }
  return arr;
}

/** KeyValueList { repeated KeyValue values = 1 }. */
function decodeKvlistValue(r: Reader, end: number, depth: number): Map<string, AnyValue> {
  const map = new Map<string, AnyValue>();
  let count = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 10 /* 1:LEN */) {
      try {
        decodeKeyValue(r, readLenEnd(r, end), map, ++count, depth);
      } catch (e) {
        throw at(e, `values[${count - 1}]`);
      }
    } else unknown(r, tag, end, F_VALUES);
  }
  return map;
}
