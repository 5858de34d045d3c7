// Test helpers for Avro values.

import * as avro from 'avsc';

/** avsc decodes records as instances of generated classes; tests compare plain objects. */
export function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain);
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) out[k] = plain(val);
  return out;
}

/** Paths where `value` does not match `type`, for assertion messages. */
export function problems(type: avro.Type, value: unknown): string[] {
  const out: string[] = [];
  type.isValid(value, { errorHook: (path) => out.push(path.join('.')) });
  return out;
}

/** Every `Record.field` reachable from `type`. */
export function allFields(type: avro.Type): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  (function walk(t: avro.Type): void {
    if (t instanceof avro.types.RecordType) {
      if (seen.has(t.name!)) return;
      seen.add(t.name!);
      for (const f of t.fields) {
        out.add(`${t.name}.${f.name}`);
        walk(f.type);
      }
    } else if (t instanceof avro.types.ArrayType) walk(t.itemsType);
    else if (t instanceof avro.types.MapType) walk(t.valuesType as avro.Type);
    else if (t instanceof avro.types.UnwrappedUnionType) t.types.forEach(walk);
  })(type);
  return out;
}

/** Every `Record.field` that holds something (not null, not an empty array or map) somewhere in `value`. */
export function filledFields(type: avro.Type, value: unknown): Set<string> {
  const out = new Set<string>();
  (function walk(t: avro.Type, v: unknown): void {
    if (v === null || v === undefined) return;
    if (t instanceof avro.types.RecordType) {
      const rec = v as Record<string, unknown>;
      for (const f of t.fields) {
        const fv = rec[f.name];
        const empty =
          fv === null ||
          fv === undefined ||
          (Array.isArray(fv) && fv.length === 0) ||
          (f.type instanceof avro.types.MapType && Object.keys(fv as object).length === 0);
        if (!empty) out.add(`${t.name}.${f.name}`);
        walk(f.type, fv);
      }
    } else if (t instanceof avro.types.ArrayType) for (const item of v as unknown[]) walk(t.itemsType, item);
    else if (t instanceof avro.types.MapType) for (const item of Object.values(v as object)) walk(t.valuesType as avro.Type, item);
    else if (t instanceof avro.types.UnwrappedUnionType) {
      const branch = t.types.find((b) => b.typeName !== 'null' && b.isValid(v));
      if (branch) walk(branch, v);
    }
  })(type, value);
  return out;
}
