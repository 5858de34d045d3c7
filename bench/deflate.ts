// The file sink's deflate level: bytes and CPU per level, on the records the
// pipeline benchmark writes (its seeded workload), packed into blocks the way
// the file sink packs them (64 KiB of Avro payloads). Compression runs on the
// thread pool in the service; here it is timed synchronously, one core.
//   node dist/bench/deflate.js [--interactions 3000] [--out DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { run as runPipeline } from './pipeline';
import { arg, report } from './report';

const BLOCK = 64 * 1024;

export async function run(options: { interactions: number; out?: string; quiet?: boolean }): Promise<Record<string, unknown>> {
  const payloads: Buffer[] = [];
  // The inner run's own figures go to a scratch directory, not bench/results.
  const scratch = mkdtempSync(join(tmpdir(), 'deflate-bench-'));
  try {
    await runPipeline({ interactions: options.interactions, quiet: true, out: scratch, sinkTap: (entries) => entries.forEach((e) => payloads.push(e.payload)) });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const blocks: Buffer[] = [];
  let cur: Buffer[] = [];
  let size = 0;
  for (const p of payloads) {
    cur.push(p);
    size += p.length;
    if (size >= BLOCK) {
      blocks.push(Buffer.concat(cur, size));
      cur = [];
      size = 0;
    }
  }
  if (cur.length) blocks.push(Buffer.concat(cur, size));
  const raw = blocks.reduce((n, b) => n + b.length, 0);
  const mib = raw / 1024 / 1024;
  const levels: Record<string, { ratio: number; cpu_ms_per_mib: number }> = {};
  for (const level of [1, 6, 9]) {
    let best = Infinity;
    let out = 0;
    for (let rep = 0; rep < 3; rep++) {
      const c0 = process.cpuUsage();
      out = 0;
      for (const b of blocks) out += deflateRawSync(b, { level }).length;
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / 1000);
    }
    levels[`level_${level}`] = { ratio: Math.round((out / raw) * 1000) / 1000, cpu_ms_per_mib: Math.round((best / mib) * 10) / 10 };
  }
  const figures = { records: payloads.length, avro_mib: Math.round(mib * 10) / 10, block_bytes: BLOCK, ...levels };
  report('deflate', figures, { dir: options.out, quiet: options.quiet });
  return figures;
}

if (require.main === module) {
  run({ interactions: Number(arg('interactions', '3000')), out: process.argv.includes('--out') ? arg('out', '') : undefined }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
