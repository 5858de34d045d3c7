import { z } from 'zod';

// Building blocks shared by every component's config.ts. Each component folder
// owns its schema (with a `describe` on every key: the README's config
// reference is generated from these descriptions by `npm run docs:config`).

/** A strict section: unknown keys are errors, and an absent section takes its defaults. */
export function section<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape).prefault({} as never);
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "250ms", "30s", "5m", "24h", "7d" (or a number of milliseconds) → milliseconds. */
export const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'number') {
    if (Number.isFinite(v) && v >= 0) return v;
    ctx.addIssue({ code: 'custom', message: 'must be a non-negative number of milliseconds' });
    return z.NEVER;
  }
  const m = DURATION.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use e.g. 500ms, 30s, 5m, 24h, 7d)` });
    return z.NEVER;
  }
  return Number(m[1]) * (UNIT_MS[m[2]!] ?? 1);
});

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/i;
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
};

/** "512KiB", "64MiB", "1GB" (or a number of bytes) → bytes. */
export const byteSize = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) return v;
    ctx.addIssue({ code: 'custom', message: 'must be a non-negative whole number of bytes' });
    return z.NEVER;
  }
  const m = SIZE.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size (use e.g. 4MiB, 512KiB, 1GB)` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * (UNIT_BYTES[(m[2] ?? 'b').toLowerCase()] ?? 1));
});

/** host:port, with the host required so nothing listens on all interfaces by accident. */
export const endpoint = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:4318');

export function parseEndpoint(ep: string): { host: string; port: number } {
  const i = ep.lastIndexOf(':');
  const host = ep.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(ep.slice(i + 1)) };
}
