// A tiny protobuf writer for crafting test inputs, hostile ones included
// (it writes whatever it is told: wrong wire types, bad lengths, raw bytes).

export type Part = Uint8Array | number[];

export function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

export function tag(field: number, wireType: number): number[] {
  return varint((field << 3) | wireType);
}

export function cat(...parts: Part[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A length-delimited field. */
export function len(field: number, ...parts: Part[]): Uint8Array {
  const body = cat(...parts);
  return cat(tag(field, 2), varint(body.length), body);
}

export function str(field: number, s: string): Uint8Array {
  return len(field, new TextEncoder().encode(s));
}

export function vint(field: number, n: number | bigint): Uint8Array {
  return cat(tag(field, 0), varint(n));
}

export function fixed64(field: number, n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, n), true);
  return cat(tag(field, 1), b);
}

export function double(field: number, x: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return cat(tag(field, 1), b);
}

export function fixed32(field: number, n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return cat(tag(field, 5), b);
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

// OTLP shapes, by field number.
/** A KeyValue as field `field` (1 in Resource/KeyValueList, 9 in Span, 3 in Event, 4 in Link, 6 in LogRecord). */
export const kv = (key: string, value: Part, field = 1): Uint8Array => len(field, str(1, key), len(2, value));
export const anyString = (s: string): Uint8Array => str(1, s);
/** ExportTraceServiceRequest with one resource, one scope and the given encoded spans. */
export const traces = (...spans: Part[]): Uint8Array => len(1, len(2, ...spans.map((s) => len(2, s))));
/** ExportLogsServiceRequest with one resource, one scope and the given encoded log records. */
export const logs = (...records: Part[]): Uint8Array => len(1, len(2, ...records.map((r) => len(2, r))));

/** Reads a flat message of varint and length-delimited fields (enough for google.rpc.Status in tests). */
export function readFlat(b: Uint8Array): Map<number, number | Uint8Array> {
  const out = new Map<number, number | Uint8Array>();
  let p = 0;
  const v = (): number => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const x = b[p++]!;
      n += (x & 0x7f) * mul;
      mul *= 128;
      if (x < 0x80) return n;
    }
  };
  while (p < b.length) {
    const t = v();
    if ((t & 7) === 0) out.set(t >>> 3, v());
    else if ((t & 7) === 2) {
      const l = v();
      out.set(t >>> 3, b.subarray(p, p + l));
      p += l;
    } else throw new Error(`unexpected wire type ${t & 7}`);
  }
  return out;
}

export function decodeStatus(b: Uint8Array): { code: number; message: string } {
  const f = readFlat(b);
  const m = f.get(2);
  return { code: (f.get(1) as number | undefined) ?? 0, message: m instanceof Uint8Array ? Buffer.from(m).toString('utf8') : '' };
}
