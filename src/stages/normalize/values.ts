import type { AnyValue, Attributes } from '../../otlp/types';

// Readers over the two shapes message content arrives in: OTLP AnyValue
// (kvlist = Map, array = Array) and the plain objects JSON.parse returns for
// the JSON strings dialects put on spans. One set of readers serves both, so
// structured attributes are never converted to JSON and back on the hot path.

/** A plain JSON object or an OTLP kvlist. */
export function isRecordLike(v: unknown): boolean {
  if (v instanceof Map) return true;
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** A field of a kvlist (Map) or a plain object; undefined for anything else. */
export function field(node: unknown, key: string): unknown {
  if (node instanceof Map) return node.get(key);
  if (node !== null && typeof node === 'object' && !Array.isArray(node) && !(node instanceof Uint8Array)) {
    // Own properties only: "__proto__" or "constructor" in hostile JSON must not reach the prototype.
    return Object.prototype.hasOwnProperty.call(node, key) ? (node as Record<string, unknown>)[key] : undefined;
  }
  return undefined;
}

/** Strings as they are; numbers and booleans as text (ids are sometimes sent as ints). */
export function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return undefined;
}

/** A non-empty string, or undefined. */
export function asNonEmptyString(v: unknown): string | undefined {
  const s = asString(v);
  return s === undefined || s === '' ? undefined : s;
}

/** Numbers, and numeric strings (int64 values sometimes arrive as decimal strings). */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A string list: an array of strings, or a single string as a one-element list. */
export function asStringList(v: unknown): string[] | undefined {
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const x of v) {
      const s = asString(x);
      if (s !== undefined) out.push(s);
    }
    return out;
  }
  const s = asNonEmptyString(v);
  return s === undefined ? undefined : [s];
}

/** Text form of any value: strings as is, structures as JSON (bytes as base64). */
export function asText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(toPlain(v));
}

/** AnyValue / parsed JSON → a plain JSON-able value (kvlists become objects, bytes base64). */
export function toPlain(v: unknown): unknown {
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) {
      // defineProperty: a "__proto__" key stays a plain own property.
      Object.defineProperty(o, k, { value: toPlain(x), enumerable: true, writable: true, configurable: true });
    }
    return o;
  }
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (Array.isArray(v)) return v.map(toPlain);
  return v;
}

/**
 * A value that may be structured or a JSON string of that structure. Only
 * strings that look like JSON documents are parsed; a parse failure returns
 * `malformed` so the caller can count it and go on with what it has.
 */
export function structured(v: AnyValue | undefined): { value: unknown; malformed: boolean } {
  if (typeof v !== 'string') return { value: v, malformed: false };
  const c = firstNonSpace(v);
  if (c !== 0x5b /* [ */ && c !== 0x7b /* { */) return { value: v, malformed: false };
  try {
    return { value: JSON.parse(v) as unknown, malformed: false };
  } catch {
    return { value: undefined, malformed: true };
  }
}

function firstNonSpace(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
  }
  return -1;
}

/** First present (non-empty string) value among `keys`. */
export function firstString(attrs: Attributes, keys: readonly string[]): string | undefined {
  for (let i = 0; i < keys.length; i++) {
    const s = asNonEmptyString(attrs.get(keys[i]!));
    if (s !== undefined) return s;
  }
  return undefined;
}

export function str(attrs: Attributes, key: string): string | undefined {
  return asNonEmptyString(attrs.get(key));
}

export function num(attrs: Attributes, key: string): number | undefined {
  return asNumber(attrs.get(key));
}

/** Assigns only defined values, so optional fields stay absent rather than `undefined`. */
export function setIf<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
