import { at, malformed, overLimit, type DecodeFailure } from './decode-error';
import type { DecodeLimits } from './limits';
import { isHex } from './hex';
import type { AnyValue, Attributes, InstrumentationScope, Resource } from './types';

// Field readers and the shared messages (AnyValue, attributes, resource,
// scope) for the OTLP/JSON decoder. Each throws a DecodeFailure naming the
// field; callers add the enclosing path while it unwinds.

export type Obj = Record<string, unknown>;

export const bad = (reason: string): DecodeFailure => malformed(reason);

export const over = (what: string, limit: number): DecodeFailure => overLimit(what, limit);

export interface Ctx {
  readonly limits: Readonly<DecodeLimits>;
  values: number;
  items: number;
}

const EMPTY: readonly unknown[] = [];

export const DECIMAL_INT = /^-?\d+$/;

const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

export function object(v: unknown): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(`expected an object, got ${describe(v)}`);
  return v as Obj;
}

export function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

export function arrayField(o: Obj, camel: string, snake?: string): readonly unknown[] {
  let v = o[camel];
  if (v === undefined && snake !== undefined) v = o[snake];
  if (v === undefined || v === null) return EMPTY;
  if (!Array.isArray(v)) throw at(bad(`expected an array, got ${describe(v)}`), camel);
  return v;
}

export function objectField(o: Obj, name: string): Obj | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw at(bad(`expected an object, got ${describe(v)}`), name);
  return v as Obj;
}

export function stringField(o: Obj, camel: string, snake: string | undefined, ctx: Ctx): string {
  let v = o[camel];
  if (v === undefined && snake !== undefined) v = o[snake];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw at(bad(`expected a string, got ${describe(v)}`), camel);
  checkStringBytes(v, ctx, camel);
  return v;
}

function checkStringBytes(s: string, ctx: Ctx, where: string | undefined): void {
  const max = ctx.limits.maxValueBytes;
  // UTF-8 needs at least one and at most three bytes per UTF-16 unit: exact count only when it matters.
  if (s.length * 3 <= max) return;
  if (s.length > max || Buffer.byteLength(s, 'utf8') > max) {
    const e = over('string value bytes', max);
    throw where === undefined ? e : at(e, where);
  }
}

export function idField(o: Obj, camel: string, snake: string, hexLen: number): string {
  let v = o[camel];
  if (v === undefined) v = o[snake];
  if (v === undefined || v === null || v === '') return '';
  if (typeof v !== 'string' || v.length !== hexLen || !isHex(v)) {
    throw at(bad(`expected ${hexLen} hex characters or an empty string`), camel);
  }
  return v.toLowerCase();
}

/** int64 nanoseconds (number or decimal string) → Unix ms float. */
export function timeField(o: Obj, camel: string, snake: string): number {
  let v = o[camel];
  if (v === undefined) v = o[snake];
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) return v / 1e6;
  } else if (typeof v === 'string') {
    if (DECIMAL_INT.test(v) && v[0] !== '-') return Number(v) / 1e6;
  }
  throw at(bad('expected a non-negative integer (number or decimal string) of nanoseconds'), camel);
}

export function enumField(o: Obj, camel: string, snake: string | undefined, names: Record<string, number>): number {
  let v = o[camel];
  if (v === undefined && snake !== undefined) v = o[snake];
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const n = Object.prototype.hasOwnProperty.call(names, v) ? names[v] : undefined;
    if (n !== undefined) return n;
    if (DECIMAL_INT.test(v)) return Number(v);
  }
  throw at(bad(`expected an enum number or name, got ${typeof v === 'string' ? 'an unknown name' : describe(v)}`), camel);
}

export function decodeResource(o: Obj | undefined, ctx: Ctx): Resource {
  if (o === undefined) return { attributes: new Map() };
  try {
    return { attributes: decodeAttributes(o, ctx) };
  } catch (e) {
    throw at(e, 'resource');
  }
}

export function decodeScope(o: Obj | undefined, ctx: Ctx): InstrumentationScope {
  if (o === undefined) return { name: '', version: '', attributes: new Map() };
  try {
    return {
      name: stringField(o, 'name', undefined, ctx),
      version: stringField(o, 'version', undefined, ctx),
      attributes: decodeAttributes(o, ctx),
    };
  } catch (e) {
    throw at(e, 'scope');
  }
}

export function countValues(ctx: Ctx, n: number): void {
  ctx.values += n;
  if (ctx.values > ctx.limits.maxValuesPerRequest) throw over('decoded values per request', ctx.limits.maxValuesPerRequest);
}

/** `attributes` of an item: a list of KeyValue → Map (later duplicates win, as in protobuf decoding). */
export function decodeAttributes(o: Obj, ctx: Ctx): Attributes {
  const list = arrayField(o, 'attributes');
  try {
    return decodeKeyValues(list, ctx, 1);
  } catch (e) {
    throw at(e, 'attributes');
  }
}

function decodeKeyValues(list: readonly unknown[], ctx: Ctx, depth: number): Map<string, AnyValue> {
  const map = new Map<string, AnyValue>();
  if (list.length === 0) return map;
  if (list.length > ctx.limits.maxAttributesPerItem) throw over('attributes per item', ctx.limits.maxAttributesPerItem);
  countValues(ctx, list.length);
  for (let i = 0; i < list.length; i++) {
    try {
      const kv = object(list[i]);
      const key = kv.key;
      if (typeof key !== 'string') throw at(bad(`expected a string, got ${describe(key)}`), 'key');
      checkStringBytes(key, ctx, 'key');
      const v = kv.value;
      let value: AnyValue = null;
      if (v !== undefined && v !== null) {
        try {
          value = decodeAnyValue(v, ctx, depth);
        } catch (e) {
          throw at(e, 'value');
        }
      }
      map.set(key, value);
    } catch (e) {
      throw at(e, `[${i}]`);
    }
  }
  return map;
}

export function decodeAnyValue(v: unknown, ctx: Ctx, depth: number): AnyValue {
  if (depth > ctx.limits.maxAnyValueDepth) throw over('AnyValue nesting depth', ctx.limits.maxAnyValueDepth);
  const o = object(v);
  let out: AnyValue = null;
  // An AnyValue is a oneof: normally exactly one key, so iterating the keys beats probing fourteen names.
  for (const k in o) {
    const x = o[k];
    try {
      switch (k) {
        case 'stringValue':
        case 'string_value':
          if (typeof x !== 'string') throw bad(`expected a string, got ${describe(x)}`);
          checkStringBytes(x, ctx, undefined);
          out = x;
          break;
        case 'boolValue':
        case 'bool_value':
          if (typeof x !== 'boolean') throw bad(`expected a boolean, got ${describe(x)}`);
          out = x;
          break;
        case 'intValue':
        case 'int_value':
          out = intValue(x);
          break;
        case 'doubleValue':
        case 'double_value':
          out = doubleValue(x);
          break;
        case 'bytesValue':
        case 'bytes_value':
          out = bytesValue(x, ctx);
          break;
        case 'arrayValue':
        case 'array_value': {
          const values = arrayField(object(x), 'values');
          if (values.length > ctx.limits.maxArrayValues) throw over('array values', ctx.limits.maxArrayValues);
          countValues(ctx, values.length);
          const arr: AnyValue[] = new Array(values.length);
          for (let i = 0; i < values.length; i++) {
            try {
              arr[i] = decodeAnyValue(values[i], ctx, depth + 1);
            } catch (e) {
              throw at(e, `values[${i}]`);
            }
          }
          out = arr;
          break;
        }
        case 'kvlistValue':
        case 'kvlist_value':
          try {
            out = decodeKeyValues(arrayField(object(x), 'values'), ctx, depth + 1);
          } catch (e) {
            throw at(e, 'values');
          }
          break;
        default:
          // Unknown fields are ignored, as the OTLP spec asks of receivers.
          break;
      }
    } catch (e) {
      throw at(e, k);
    }
  }
  return out;
}

function intValue(x: unknown): number {
  if (typeof x === 'number' && Number.isInteger(x)) return x;
  if (typeof x === 'string' && DECIMAL_INT.test(x)) return Number(x);
  throw bad('expected an integer (number or decimal string)');
}

function doubleValue(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string') {
    if (x === 'NaN') return NaN;
    if (x === 'Infinity') return Infinity;
    if (x === '-Infinity') return -Infinity;
    const n = Number(x);
    if (x.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw bad('expected a number');
}

function bytesValue(x: unknown, ctx: Ctx): Uint8Array {
  if (typeof x !== 'string' || !BASE64.test(x)) throw bad('expected a base64 string');
  // Checked before decoding so an oversized value never allocates: base64 decodes to ~3/4 of its length.
  if (Math.floor((x.length * 3) / 4) - 2 > ctx.limits.maxValueBytes) throw over('bytes value length', ctx.limits.maxValueBytes);
  const b = Buffer.from(x, 'base64');
  if (b.length > ctx.limits.maxValueBytes) throw over('bytes value length', ctx.limits.maxValueBytes);
  // A plain Uint8Array copy: not a Buffer, and not a view that would pin Buffer's shared pool.
  return new Uint8Array(b);
}
