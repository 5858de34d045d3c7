import type { Config } from '../config';
import { createDecider, type DecideStats } from '../stages/sample';
import { replay, type ReplayCounts } from './replay';

// `feedback-loop simulate`: what a config would do to captured traffic, and
// how that differs from the config running now — before an SRE rolls it out.

export interface Simulation {
  name: string;
  counts: ReplayCounts;
  stats: DecideStats;
}

export async function simulate(name: string, config: Config, files: string[]): Promise<Simulation> {
  let stats: (() => DecideStats) | undefined;
  const counts = await replay({
    config,
    files,
    makeDecide: (ctx) => {
      const decider = createDecider({ label: config.label, sample: config.sample }, ctx);
      stats = () => decider.stats();
      return (record) => decider.decide(record);
    },
  });
  return { name, counts, stats: stats!() };
}

type Row = [string, ...Array<number | string>];

function section(title: string, rows: Row[]): Row[] {
  return rows.length ? [[title], ...rows] : [];
}

function rowsFor(sims: Simulation[]): Row[] {
  const rows: Row[] = [];
  const all = <T>(f: (s: Simulation) => T) => sims.map(f);
  rows.push(
    ...section('input', [
      ['  spans', ...all((s) => s.counts.spans)],
      ['  log records', ...all((s) => s.counts.logRecords)],
      ['  interactions', ...all((s) => s.counts.interactions)],
      ['  feedback signals (explicit)', ...all((s) => s.counts.feedbackSignals)],
    ]),
  );
  const topics = [...new Set(sims.flatMap((s) => Object.keys(s.counts.topics)))].sort();
  rows.push(...section('records written, by topic', topics.map((t): Row => [`  ${t}`, ...all((s) => s.counts.topics[t as keyof typeof s.counts.topics] ?? 0)])));
  const routes = [...new Set(sims.flatMap((s) => Object.keys(s.stats.policies)))].sort();
  const policyRows: Row[] = [];
  for (const route of routes) {
    const policies = [...new Set(sims.flatMap((s) => Object.keys(s.stats.policies[route] ?? {})))].sort();
    for (const p of policies) {
      const cell = (s: Simulation) => {
        const c = s.stats.policies[route]?.[p];
        return c ? `${c.kept} / ${c.dropped} / ${c.rateLimited}` : '-';
      };
      policyRows.push([`  ${route} · ${p}`, ...all(cell)]);
    }
  }
  rows.push(...section('policy hits (kept / dropped / rate-limited)', policyRows));
  const dims = [...new Set(sims.flatMap((s) => Object.keys(s.stats.labels)))].sort();
  rows.push(
    ...section(
      'label mix (true / false)',
      dims.map((d): Row => [`  ${d}`, ...all((s) => `${s.stats.labels[d]?.true ?? 0} / ${s.stats.labels[d]?.false ?? 0}`)]),
    ),
  );
  const reasons = [...new Set(sims.flatMap((s) => Object.keys(s.stats.priorities)))];
  rows.push(...section('annotation tasks by priority', reasons.map((r): Row => [`  ${r}`, ...all((s) => s.stats.priorities[r as keyof DecideStats['priorities']] ?? 0)])));
  rows.push(
    ...section('training split', [
      ['  train', ...all((s) => s.stats.splits.train)],
      ['  eval', ...all((s) => s.stats.splits.eval)],
    ]),
  );
  const entities = [...new Set(sims.flatMap((s) => Object.keys(s.counts.redacted)))].sort();
  rows.push(
    ...section('values redacted, by entity type', [
      ...entities.map((t): Row => [`  ${t}`, ...all((s) => s.counts.redacted[t] ?? 0)]),
      ['  attribute values under blocked keys', ...all((s) => s.counts.keysRedacted)],
    ]),
  );
  const dropped = [...new Set(sims.flatMap((s) => Object.keys(s.counts.dropped)))].sort();
  rows.push(...section('dropped before the join', dropped.map((r): Row => [`  ${r}`, ...all((s) => s.counts.dropped[r] ?? 0)])));
  return rows;
}

/** A plain-text table: one column per simulation, plus the change when there are two. */
export function formatSimulations(sims: Simulation[]): string {
  const header: Row = ['', ...sims.map((s) => s.name)];
  const rows = rowsFor(sims);
  if (sims.length === 2) {
    header.push('change');
    for (const r of rows) {
      const [a, b] = [r[1], r[2]];
      if (typeof a === 'number' && typeof b === 'number') r.push(b === a ? '' : `${b > a ? '+' : ''}${b - a}`);
    }
  }
  const table = [header, ...rows].map((r) => r.map((c) => String(c)));
  const widths = table.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return table.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ').trimEnd()).join('\n');
}
