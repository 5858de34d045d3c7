// The service on glibc's malloc against the same service with jemalloc
// preloaded (README, deployment: an optional setting), side by side in one
// run: alternating OTLP/HTTP sustained runs (bench/http.ts, one run each into
// a fresh service), so a slow stretch of a shared machine hits both sides.
// Reports the medians and their ratios. Skipped, saying so, where no
// libjemalloc.so.2 is installed (Debian and Ubuntu: libjemalloc2).
//   node dist/bench/allocator.js [--pairs 3] [--seconds 20] [--interactions 20000] [--out DIR]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as httpRun, workloadBodies } from './http';
import { arg, median, report } from './report';

const CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
  '/usr/local/lib/libjemalloc.so.2',
];

interface Side {
  sustained_spans_per_s: number;
  service_cpu_us_per_span: number;
  event_loop_cpu_us_per_span: number;
  service_peak_rss_mib: number;
}

const KEYS: Array<keyof Side> = ['sustained_spans_per_s', 'service_cpu_us_per_span', 'event_loop_cpu_us_per_span', 'service_peak_rss_mib'];

export async function run(options: { pairs: number; seconds: number; interactions: number; out?: string; quiet?: boolean }): Promise<Record<string, unknown>> {
  const library = process.env.BENCH_JEMALLOC ?? CANDIDATES.find((p) => existsSync(p));
  if (!library) {
    const figures = { skipped: 'no libjemalloc.so.2 found (Debian and Ubuntu: apt-get install libjemalloc2; or set BENCH_JEMALLOC to its path)' };
    report('allocator', figures, { dir: options.out, quiet: options.quiet });
    return figures;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'allocator-bench-'));
  const before = process.env.LD_PRELOAD;
  const runs: Record<'glibc' | 'jemalloc', Side[]> = { glibc: [], jemalloc: [] };
  // Generated and encoded once for every run.
  const bodies = workloadBodies(options.interactions);
  try {
    for (let i = 0; i < options.pairs; i++) {
      for (const side of ['glibc', 'jemalloc'] as const) {
        // The service process inherits this environment (test/helpers/service-process.ts); this process is not preloaded.
        if (side === 'jemalloc') process.env.LD_PRELOAD = library;
        else delete process.env.LD_PRELOAD;
        const f = (await httpRun({ seconds: options.seconds, latencySeconds: 1, interactions: options.interactions, repeat: 1, bodies, out: scratch, quiet: true })) as unknown as Side;
        runs[side].push(Object.fromEntries(KEYS.map((k) => [k, f[k]])) as unknown as Side);
      }
    }
  } finally {
    if (before === undefined) delete process.env.LD_PRELOAD;
    else process.env.LD_PRELOAD = before;
    rmSync(scratch, { recursive: true, force: true });
  }
  const medians = (side: Side[]): Side => Object.fromEntries(KEYS.map((k) => [k, Math.round(median(side.map((r) => r[k])))])) as unknown as Side;
  const glibc = medians(runs.glibc);
  const jemalloc = medians(runs.jemalloc);
  const ratio = (k: keyof Side): number => Math.round((jemalloc[k] / glibc[k]) * 1000) / 1000;
  const figures = {
    library,
    pairs: options.pairs,
    glibc,
    jemalloc,
    // jemalloc ÷ glibc, of the medians: below 1 is less CPU per span, above 1 a higher rate.
    ratio_event_loop_cpu_per_span: ratio('event_loop_cpu_us_per_span'),
    ratio_service_cpu_per_span: ratio('service_cpu_us_per_span'),
    ratio_sustained_spans_per_s: ratio('sustained_spans_per_s'),
    // Pairs where jemalloc's event loop used less CPU per span than glibc's in the run just before it.
    pairs_event_loop_cheaper: runs.jemalloc.filter((j, i) => j.event_loop_cpu_us_per_span < runs.glibc[i]!.event_loop_cpu_us_per_span).length,
    runs,
  };
  report('allocator', figures, { dir: options.out, quiet: options.quiet });
  return figures;
}

if (require.main === module) {
  run({
    pairs: Number(arg('pairs', '3')),
    seconds: Number(arg('seconds', '20')),
    interactions: Number(arg('interactions', '20000')),
    out: process.argv.includes('--out') ? arg('out', '') : undefined,
  }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
