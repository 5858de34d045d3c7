// `npm run bench`: every benchmark, each in its own process (so peak RSS is
// its own), single-core ones pinned to one CPU with taskset when available.
// Figures are printed and written to bench/results/*.json.
//   node dist/bench/run.js            the full suite (about 10–12 minutes on 2 cores; README Performance)
//   node dist/bench/run.js --smoke    a few seconds of each in-process benchmark, results to a temp dir
//   node dist/bench/run.js --only pipeline,http
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTaskset } from './report';

interface Bench {
  name: string;
  script: string;
  args: string[];
  smokeArgs?: string[];
  /** Pin to one core: the figure is "per core". */
  oneCore?: boolean;
  /** Needs the real Kafka/collector infra. */
  infra?: boolean;
}

const BENCHES: Bench[] = [
  { name: 'pipeline', script: 'pipeline.js', args: ['--interactions', '20000'], smokeArgs: ['--interactions', '300'], oneCore: true },
  { name: 'cores', script: 'cores.js', args: ['--interactions', '8000'], smokeArgs: ['--interactions', '150'] },
  { name: 'deflate', script: 'deflate.js', args: ['--interactions', '3000'], smokeArgs: ['--interactions', '100'], oneCore: true },
  { name: 'redact', script: 'redact.js', args: ['--seconds', '5'], oneCore: true },
  { name: 'join-windows', script: 'join-windows.js', args: ['--windows', '1000000'], smokeArgs: ['--windows', '3000'] },
  { name: 'http', script: 'http.js', args: ['--seconds', '20', '--repeat', '3', '--latency-seconds', '30', '--interactions', '20000'], smokeArgs: ['--seconds', '2', '--repeat', '2', '--latency-seconds', '2', '--interactions', '400'] },
  { name: 'allocator', script: 'allocator.js', args: ['--pairs', '3', '--seconds', '20', '--interactions', '20000'], smokeArgs: ['--pairs', '1', '--seconds', '2', '--interactions', '300'] },
  { name: 'kafka', script: 'kafka.js', args: ['--interactions', '20000', '--signals', '200'], infra: true },
  { name: 'scaleout', script: 'scaleout.js', args: [], infra: true },
  { name: 'collector-compare', script: 'collector-compare.js', args: ['--interactions', '10000', '--warmup', '2000', '--rounds', '3'], infra: true },
];

function main(): number {
  const smoke = process.argv.includes('--smoke');
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg >= 0 ? new Set(process.argv[onlyArg + 1]!.split(',')) : undefined;
  const out = smoke ? mkdtempSync(join(tmpdir(), 'bench-smoke-')) : undefined;
  const pin = hasTaskset();
  let failed = 0;
  const started = performance.now();
  const took: string[] = [];
  for (const b of BENCHES) {
    if (only && !only.has(b.name)) continue;
    if (smoke && !b.smokeArgs) continue;
    const args = [join(__dirname, b.script), ...(smoke ? b.smokeArgs! : b.args), ...(out ? ['--out', out] : [])];
    const cmd = b.oneCore && pin && !smoke ? 'taskset' : process.execPath;
    const cmdArgs = cmd === 'taskset' ? ['-c', '0', process.execPath, ...args] : args;
    process.stdout.write(`\n### ${b.name}${cmd === 'taskset' ? ' (pinned to one core)' : ''}\n`);
    const t0 = performance.now();
    const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit' });
    took.push(`${b.name} ${seconds(t0)} s`);
    if (r.status !== 0) {
      failed++;
      process.stderr.write(`benchmark ${b.name} failed (exit ${r.status ?? r.signal})\n`);
    }
  }
  // Set-up of Kafka and the collector on first use is inside the time of the first benchmark that needs it.
  process.stdout.write(`\n${took.join(', ')}; all ${seconds(started)} s\n`);
  if (out) process.stdout.write(`\nsmoke results in ${out}\n`);
  return failed ? 1 : 0;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

process.exitCode = main();
