// Does the service's own work scale with cores? The in-process pipeline
// (bench/pipeline.ts: decode → … → Avro files, its own LevelDB store) run as 1
// process, then as one process per core at the same time, each pinned to its
// core with its own store and files — the shape of scale-out instances, minus
// the Kafka broker they would coordinate through (on this machine the broker
// shares the same cores; bench/scaleout.ts measures that). Ratio of the
// aggregate spans/s to the single process's, same run, back to back.
//   node dist/bench/cores.js [--interactions 8000] [--out DIR]
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, hasTaskset, report } from './report';

const canPin = hasTaskset();

function pipelineRun(core: number, interactions: number, seed: number): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), `cores-bench-${core}-`));
  const args = [join(__dirname, 'pipeline.js'), '--interactions', String(interactions), '--seed', String(seed), '--out', out];
  return new Promise<number>((resolve, reject) => {
    const child = canPin
      ? spawn('taskset', ['-c', String(core), process.execPath, ...args], { stdio: ['ignore', 'ignore', 'inherit'] })
      : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`pipeline on core ${core} exited ${code}`);
        const r = JSON.parse(readFileSync(join(out, 'pipeline.json'), 'utf8')) as { figures: { spans_per_s: number } };
        resolve(r.figures.spans_per_s);
      } catch (err) {
        reject(err);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
}

export async function run(options: { interactions: number; out?: string; quiet?: boolean }): Promise<Record<string, unknown>> {
  const cores = cpus().length;
  const rounds: Array<{ one: number; all: number[] }> = [];
  for (let round = 0; round < 2; round++) {
    const one = await pipelineRun(0, options.interactions, 42);
    const all = await Promise.all(Array.from({ length: cores }, (_, c) => pipelineRun(c, options.interactions, 42 + c)));
    rounds.push({ one, all });
  }
  const one = Math.max(...rounds.map((r) => r.one));
  const aggregate = Math.max(...rounds.map((r) => r.all.reduce((a, b) => a + b, 0)));
  const figures = {
    cores,
    one_process_spans_per_s: one,
    [`${cores}_processes_spans_per_s`]: aggregate,
    ratio: Math.round((aggregate / one) * 100) / 100,
    rounds,
    pinned: canPin,
    note: 'one pipeline process per core, each with its own store; best of two rounds each',
  };
  report('cores', figures, { dir: options.out, quiet: options.quiet });
  return figures;
}

if (require.main === module) {
  run({ interactions: Number(arg('interactions', '8000')), out: process.argv.includes('--out') ? arg('out', '') : undefined }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
