import { cpus, totalmem, platform, release } from 'node:os';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** What every result file says about the machine it ran on. */
export function machine(): Record<string, unknown> {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    // A preloaded allocator (jemalloc) changes the figures: README, Performance.
    ...(process.env.LD_PRELOAD ? { ld_preload: process.env.LD_PRELOAD } : {}),
  };
}

export const RESULTS_DIR = resolve(__dirname, '..', '..', 'bench', 'results');

/** Prints the figures and writes them, with the machine, to bench/results/<name>.json. */
export function report(name: string, figures: Record<string, unknown>, options: { dir?: string; quiet?: boolean } = {}): string {
  const dir = options.dir ?? RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  const body = { benchmark: name, date: new Date().toISOString(), machine: machine(), figures };
  writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
  if (!options.quiet) {
    process.stdout.write(`\n== ${name} ==\n`);
    for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(34)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
    process.stdout.write(`  -> ${file}\n`);
  }
  return file;
}

export function peakRssMiB(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** `--name value` from argv, with a default. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const TICKS_PER_S = 100; // USER_HZ on Linux

/** CPU seconds (user + system, all threads) a process has used so far, from /proc. */
export function cpuSeconds(pid: number | string): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S; // utime, stime
}

/** CPU seconds of a process's main thread alone (its event loop, for Node), user + system. */
export function mainThreadCpuSeconds(pid: number): number {
  return cpuSeconds(`${pid}/task/${pid}`);
}

/** True where `taskset` can pin a process to a core (Linux with util-linux). */
export function hasTaskset(): boolean {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0;
}

/**
 * Node flags the service is deployed with (`npm start`, and the README's
 * deployment section): a young generation with room for the requests in
 * flight, so they are not copied out of it again and again while their store
 * write is pending. Benchmarks run the service the way it is deployed.
 */
export const DEPLOYED_NODE_ARGS = ['--max-semi-space-size=32'];

/**
 * Node flags for the service a benchmark starts: the deployed ones, then
 * BENCH_SERVICE_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to
 * profile the service under the benchmark's load (a later flag wins, so
 * "--max-semi-space-size=16" measures V8's default).
 */
export function serviceNodeArgs(): string[] {
  return [...DEPLOYED_NODE_ARGS, ...(process.env['BENCH_SERVICE_NODE_ARGS']?.split(' ').filter(Boolean) ?? [])];
}
