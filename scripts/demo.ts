// `npm run demo`: the whole loop in one command, for a newcomer.
//
//   1. checks that the feedback-loop service answers OTLP/HTTP (started with `npm start`);
//   2. starts a fake OpenAI-compatible model server on a free local port;
//   3. runs an instrumented support assistant against it (real `openai` client,
//      real OTel instrumentation and SDK), with user feedback on about half of
//      the conversations and judge evaluations on some;
//   4. waits, with a countdown, until the service has written Avro files with
//      this run's interactions;
//   5. reads them back with avsc and prints what an ML team would receive.
//
// Options: --endpoint URL  --out DIR  --conversations N  --feedback-share X
//          --timeout SECONDS  --protocol http/protobuf|http/json  --help

import { setTimeout as sleep } from 'node:timers/promises';
import { AvroOutputReader, TOPICS, field, firstUserMessage, list, num, text } from '../test/apps/avro-output';
import type { FileRecord } from '../test/apps/avro-output';
import { start as startFakeModelServer } from '../test/apps/fake-model-server';
import { runGenAiApp } from '../test/apps/genai-app';
import type { AppInteraction, GenAiAppSummary, OtlpProtocol } from '../test/apps/genai-app';

interface DemoOptions {
  endpoint: string;
  out: string;
  conversations: number;
  feedbackShare: number;
  timeoutS: number;
  protocol: OtlpProtocol;
}

const USAGE = `Usage: npm run demo -- [options]

  --endpoint URL         feedback-loop OTLP/HTTP endpoint   (default http://127.0.0.1:4318)
  --out DIR              the file sink's output directory    (default data/out)
  --conversations N      conversations to simulate           (default 20)
  --feedback-share X     share that get user feedback, 0–1   (default 0.5)
  --timeout SECONDS      how long to wait for Avro files     (default 90)
  --protocol P           http/protobuf or http/json          (default http/protobuf)
`;

// Output: colour only on a terminal, and never when NO_COLOR is set (no-color.org).
const tty = process.stdout.isTTY === true;
const useColor = tty && !process.env.NO_COLOR;
const paint = (code: string) => (s: string): string => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');
const yellow = paint('33');
const cyan = paint('36');

class UsageError extends Error {}

async function main(): Promise<number> {
  let opts: DemoOptions;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      if (!err.message) {
        console.log(USAGE);
        return 0;
      }
      console.error(`${red(err.message)}\n\n${USAGE}`);
      return 1;
    }
    throw err;
  }

  console.log(bold('otel-feedback-loop demo'));
  console.log(dim('GenAI traces + user feedback in, redacted and labeled Avro records out.'));

  // 1. The service
  step(1, `Checking the feedback-loop service at ${opts.endpoint}`);
  const check = await checkService(opts.endpoint);
  if (!check.ok) {
    console.log(`   ${red('✗')} ${check.message}\n`);
    for (const line of check.help) console.log(line ? `   ${line}` : '');
    return 1;
  }
  console.log(`   ${green('✓')} ${check.message}`);

  // Files already there belong to earlier runs; only what this run writes is shown.
  const reader = new AvroOutputReader(opts.out);
  await reader.ignoreExisting();

  // 2. The model
  step(2, 'Starting a fake OpenAI-compatible model server');
  // A fresh seed per run: completion ids are the join key, and a second demo
  // against the same service must not reuse the first one's ids.
  const seed = `demo-${Date.now().toString(36)}`;
  const model = await startFakeModelServer({ seed, latencyMs: 15, chunkDelayMs: 2 });
  console.log(`   ${green('✓')} listening at ${model.baseURL}`);

  // 3. The app
  step(
    3,
    `Running the instrumented support assistant: ${opts.conversations} conversations, ` +
      `feedback on about ${Math.round(opts.feedbackShare * 100)}%`,
  );
  let summary: GenAiAppSummary;
  try {
    summary = await runGenAiApp({
      baseURL: model.baseURL,
      otlpEndpoint: opts.endpoint,
      protocol: opts.protocol,
      conversations: opts.conversations,
      feedbackShare: opts.feedbackShare,
      evaluationShare: 0.3,
      orphanFeedback: 1,
      seed,
      serviceName: 'support-assistant',
      environment: 'demo',
      onProgress: (line) => {
        if (line.startsWith('conversation')) status(dim(`   ${line}`));
      },
    });
  } finally {
    status('');
    await model.stop();
  }
  printRunSummary(summary);
  const exportedSpans = summary.export.spans.exported;
  if (exportedSpans === 0) {
    console.log(`\n   ${red('✗')} The service did not accept the telemetry: ${summary.export.spans.lastError ?? 'no spans exported'}`);
    return 1;
  }

  // 4. Wait for the service to write
  const ids = new Set(summary.interactions.map((i) => i.responseId));
  const orphanIds = new Set(summary.feedback.filter((f) => f.orphan).map((f) => f.requestId));
  step(4, `Waiting for Avro files in ${opts.out}/labeled_interactions/ (up to ${opts.timeoutS} s)`);
  console.log(dim('   Records are written when a join window closes (join.window) and files roll (sinks.file.roll_interval).'));
  const waited = await waitForRecords(reader, ids, orphanIds, opts.timeoutS);
  status('');
  if (waited.finals.size === 0 && waited.records.filter((r) => r.topic === 'labeled_interactions').length === 0) {
    console.log(`   ${red('✗')} No labeled records from this run appeared in ${opts.out}/labeled_interactions/ within ${opts.timeoutS} s.\n`);
    console.log('   Things to check:');
    console.log(`   • Is the service writing to ${bold(opts.out)}? (sinks.file.directory; pass --out DIR to look elsewhere)`);
    console.log('   • Are join.window and sinks.file.roll_interval short? config/default.yaml uses 15s and 5s.');
    console.log('   • The service log: dropped or dead-lettered input is reported there with a reason.');
    console.log(`   • Give it longer: ${bold('npm run demo -- --timeout 300')}`);
    return 1;
  }
  const mark = waited.finals.size === ids.size ? green('✓') : yellow('●');
  console.log(`   ${mark} ${waited.finals.size} of ${ids.size} interactions have their final record (after ${waited.seconds} s)`);
  if (waited.finals.size < ids.size) {
    console.log(dim('     The rest may have been sampled out, or their windows are still open; the table shows what is there.'));
  }

  // 5. Show it
  step(5, 'What landed in labeled_interactions (latest version per request id)');
  printTable(waited.records.filter((r) => r.topic === 'labeled_interactions' && ids.has(requestIdOf(r.value) ?? '')), summary);
  printRedactionExamples(waited.records, summary);
  printTotals(waited.records, ids, orphanIds, summary, opts.out);
  return 0;
}

// ---------------------------------------------------------------------------
// Steps

function step(n: number, title: string): void {
  console.log(`\n${cyan(`${n}.`)} ${bold(title)}`);
}

/** A line that overwrites itself on a terminal, and is printed sparingly otherwise. */
let lastStatusPrint = 0;
function status(line: string, force = false): void {
  if (tty) {
    process.stdout.write(`\r\x1b[2K${line}`);
    return;
  }
  const now = Date.now();
  if (line && (force || now - lastStatusPrint >= 10_000)) {
    console.log(line);
    lastStatusPrint = now;
  }
}

interface ServiceCheck {
  ok: boolean;
  message: string;
  help: string[];
}

/**
 * An empty OTLP export request: valid protocol, no data, so the check itself
 * leaves nothing behind in the service's output.
 */
async function checkService(endpoint: string): Promise<ServiceCheck> {
  const url = `${endpoint}/v1/traces`;
  const startHint = [
    'The demo sends telemetry to a running feedback-loop service. Start it in another terminal:',
    '',
    `    ${bold('npm run build && npm start')}`,
    '',
    `Then run ${bold('npm run demo')} again. If the service listens elsewhere, pass ${bold('--endpoint URL')}.`,
  ];
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"resourceSpans":[]}',
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    return { ok: false, message: `Nothing answers at ${endpoint} (${cause}).`, help: startHint };
  }
  if (res.status === 404 || res.status === 405) {
    return {
      ok: false,
      message: `Something answers at ${endpoint}, but not as an OTLP/HTTP receiver (HTTP ${res.status} for POST /v1/traces).`,
      help: ['Is another program using that port? Stop it, or point the demo at the service with --endpoint URL.'],
    };
  }
  if (res.status >= 200 && res.status < 300) return { ok: true, message: `the service answers (HTTP ${res.status})`, help: [] };
  // 429/503 mean "busy, retry": the exporter does that on its own, so carry on.
  return { ok: true, message: `the service answers, though with HTTP ${res.status}; continuing`, help: [] };
}

function printRunSummary(s: GenAiAppSummary): void {
  const c = s.counts;
  console.log(
    `   ${green('✓')} ${c.interactions} model calls in ${c.turns} turns ` +
      dim(`(${c.toolCalls} tool calls, ${c.streamed} streamed, ${c.truncated} cut off by max tokens)`),
  );
  const kinds = countBy(s.feedback.filter((f) => !f.orphan).map((f) => f.kind));
  console.log(
    `   ${green('✓')} ${c.feedback} feedback signals on ${c.interactionsWithFeedback} answers ` +
      dim(`(${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')})`) +
      `, ${c.evaluations} judge evaluations, ${c.orphanFeedback} orphan (its interaction never existed)`,
  );
  const failed = s.export.spans.failed + s.export.logs.failed;
  console.log(
    `   ${failed === 0 ? green('✓') : yellow('●')} exported ${s.export.spans.exported} spans and ${s.export.logs.exported} log records ` +
      dim(`(OTLP ${s.protocol})`) +
      (failed > 0 ? yellow(` — ${failed} failed: ${s.export.spans.lastError ?? s.export.logs.lastError ?? ''}`) : ''),
  );
}

interface WaitResult {
  records: FileRecord[];
  /** Request ids of this run with a final labeled record. */
  finals: Set<string>;
  seconds: number;
}

/**
 * Polls the output directory until every interaction of this run has its
 * final record (and the deliberate orphan has shown up, or a short grace
 * period passed: it closes in the same sweep but may land in the next file
 * roll), or nothing new has arrived for a while after the first records (the
 * rest were probably sampled out), or time runs out.
 */
async function waitForRecords(reader: AvroOutputReader, ids: Set<string>, orphanIds: Set<string>, timeoutS: number): Promise<WaitResult> {
  const started = Date.now();
  const deadline = started + timeoutS * 1000;
  const settleMs = 20_000;
  const orphanGraceMs = 12_000;
  let records: FileRecord[] = [];
  let finals = new Set<string>();
  let lastCount = 0;
  let lastGrowth = Date.now();
  let allFinalAt: number | undefined;
  for (;;) {
    try {
      records = await reader.read();
    } catch (err) {
      // A file renamed or removed mid-listing: the next poll sees a settled directory.
      status(dim(`   (retrying read: ${String(err)})`), true);
    }
    const ours = records.filter((r) => r.topic === 'labeled_interactions' && ids.has(requestIdOf(r.value) ?? ''));
    finals = new Set(ours.filter((r) => field(r.value, 'final') !== false).map((r) => requestIdOf(r.value) ?? ''));
    const orphansSeen = new Set(records.filter((r) => orphanIds.has(requestIdOf(r.value) ?? '')).map((r) => requestIdOf(r.value)));
    if (ours.length !== lastCount) {
      lastCount = ours.length;
      lastGrowth = Date.now();
    }
    const now = Date.now();
    const left = Math.max(0, Math.ceil((deadline - now) / 1000));
    const allFinal = finals.size === ids.size && ids.size > 0;
    allFinalAt ??= allFinal ? now : undefined;
    const tail = allFinal && orphansSeen.size < orphanIds.size ? ' · waiting briefly for the orphaned feedback' : '';
    status(`   ⏳ ${bold(String(left).padStart(3))} s left · ${finals.size}/${ids.size} interactions final · ${ours.length} records so far${tail}`);
    if (allFinal && (orphansSeen.size === orphanIds.size || now - (allFinalAt ?? now) >= orphanGraceMs)) break;
    if (finals.size > 0 && now - lastGrowth >= settleMs) break;
    if (now >= deadline) break;
    await sleep(1000);
  }
  return { records, finals, seconds: Math.round((Date.now() - started) / 1000) };
}

// ---------------------------------------------------------------------------
// Presentation

function requestIdOf(v: unknown): string | undefined {
  return text(v, 'request_id') ?? text(v, 'requestId');
}

/** Eager mode emits several versions per request id; consumers keep the highest. */
function latestByRequest(records: FileRecord[]): Map<string, Record<string, unknown>> {
  const latest = new Map<string, Record<string, unknown>>();
  for (const r of records) {
    const id = requestIdOf(r.value);
    if (!id) continue;
    const prev = latest.get(id);
    if (!prev || (num(r.value, 'version') ?? 0) >= (num(prev, 'version') ?? 0)) latest.set(id, r.value);
  }
  return latest;
}

interface Column {
  title: string;
  width: number;
  cell: (rec: Record<string, unknown>, i: AppInteraction, n: number) => string;
}

function printTable(records: FileRecord[], summary: GenAiAppSummary): void {
  const latest = latestByRequest(records);
  // Rows in the order the app made the calls, so conversations read top to bottom.
  const order = summary.interactions.filter((i) => latest.has(i.responseId));
  const width = Math.min(process.stdout.columns ?? 160, 220) - 3;
  const message: Column = {
    title: 'first user message (as stored: redacted)',
    width: 0,
    cell: (rec) => (firstUserMessage(rec) ?? '–').replace(/\s+/g, ' '),
  };
  const columns: Column[] = [
    { title: '#', width: 3, cell: (_r, _i, n) => String(n) },
    { title: 'request id', width: 19, cell: (_r, i) => shortId(i.responseId) },
    { title: 'model', width: 13, cell: (rec) => text(rec, 'interaction.request_model') ?? text(rec, 'interaction.response_model') ?? '–' },
    {
      title: 'in/out',
      width: 8,
      cell: (rec) => `${num(rec, 'interaction.usage.input_tokens') ?? '–'}/${num(rec, 'interaction.usage.output_tokens') ?? '–'}`,
    },
    message,
    { title: 'feedback', width: 22, cell: (rec) => feedbackCell(rec) },
    { title: 'labels', width: 22, cell: (rec) => labelsCell(rec) },
  ];
  // On a narrow terminal, give up the least telling columns before the message
  // becomes unreadable; feedback and labels are what the demo is about.
  const fits = (): number => width - columns.filter((c) => c !== message).reduce((a, c) => a + c.width + 2, 0);
  for (const drop of ['model', 'in/out', 'labels']) {
    if (fits() >= 28) break;
    columns.splice(columns.findIndex((c) => c.title === drop), 1);
  }
  message.width = Math.max(20, Math.min(70, fits()));
  const row = (cells: string[]): string => cells.map((c, k) => fit(c, columns[k].width)).join('  ').trimEnd();
  console.log(`   ${bold(row(columns.map((c) => c.title)))}`);
  console.log(`   ${dim('─'.repeat(columns.reduce((a, c) => a + c.width + 2, -2)))}`);
  let n = 0;
  for (const i of order) {
    const rec = latest.get(i.responseId);
    if (!rec) continue;
    n += 1;
    const line = row(columns.map((c) => c.cell(rec, i, n)));
    console.log(`   ${field(rec, 'final') === false ? dim(line) : line}`);
  }
  if (n === 0) console.log(dim('   (none yet)'));
  if (order.some((i) => field(latest.get(i.responseId), 'final') === false)) {
    console.log(dim('   Dimmed rows are early versions (eager mode): their window is still open.'));
  }
}

function feedbackCell(rec: unknown): string {
  const parts = list(rec, 'feedback').map((f) => {
    const kind = text(f, 'feedback_kind') ?? text(f, 'kind') ?? '?';
    const value = num(f, 'value');
    if (kind === 'thumbs') return value === 1 ? 'thumbs:up' : value === 0 ? 'thumbs:down' : 'thumbs';
    if (kind === 'rating' && value !== undefined) return `rating:${value}`;
    if (kind === 'evaluation') return `eval:${value !== undefined ? value.toFixed(2) : (text(f, 'label') ?? '?')}`;
    return kind;
  });
  return parts.length > 0 ? parts.join(' ') : '–';
}

function labelsCell(rec: unknown): string {
  const parts = list(rec, 'labels').map((l) => {
    const dimension = (text(l, 'dimension') ?? '?').replace('_compliance', '').replace('factual_accuracy', 'factual');
    const value = field(l, 'value');
    const score = num(l, 'score');
    const v = value === true ? '+' : value === false ? '-' : score !== undefined ? `=${score.toFixed(2)}` : '?';
    return `${dimension}${v}`;
  });
  return parts.length > 0 ? parts.join(' ') : '–';
}

/** Side by side, what the app sent and what the service stored. */
function printRedactionExamples(records: FileRecord[], summary: GenAiAppSummary): void {
  const latest = latestByRequest(records.filter((r) => r.topic === 'labeled_interactions'));
  const firstMessageOf = new Map<number, string>();
  for (const i of summary.interactions) if (i.turn === 1 && i.step === 0) firstMessageOf.set(i.conversation, i.userMessage);
  const examples: Array<{ sent: string; stored: string }> = [];
  const seen = new Set<number>();
  for (const i of summary.interactions) {
    const rec = latest.get(i.responseId);
    const stored = rec ? firstUserMessage(rec) : undefined;
    const sent = firstMessageOf.get(i.conversation);
    if (!stored || !sent || stored === sent || seen.has(i.conversation)) continue;
    seen.add(i.conversation);
    examples.push({ sent, stored });
    if (examples.length === 3) break;
  }
  if (examples.length === 0) return;
  console.log(`\n   ${bold('Redaction at work')} ${dim('(the app sent the left side; only the right side was stored)')}`);
  for (const e of examples) {
    console.log(`   ${dim('sent:  ')} ${e.sent}`);
    console.log(`   ${green('stored:')} ${e.stored}\n`);
  }
}

function printTotals(records: FileRecord[], ids: Set<string>, orphanIds: Set<string>, summary: GenAiAppSummary, out: string): void {
  const ours = (r: FileRecord): boolean => {
    const id = requestIdOf(r.value);
    // Records without a request id (dead letters) count when written during the run.
    return id === undefined || ids.has(id) || orphanIds.has(id);
  };
  const mine = records.filter(ours);
  const topics = [...new Set([...TOPICS, ...mine.map((r) => r.topic)])];
  console.log(`   ${bold(`Records written for this run under ${out}/`)}`);
  for (const topic of topics) {
    const rs = mine.filter((r) => r.topic === topic);
    let note = '';
    if (topic === 'labeled_interactions' && rs.length > 0) {
      const finals = rs.filter((r) => field(r.value, 'final') !== false).length;
      note = dim(` (${finals} final, ${rs.length - finals} early versions)`);
    }
    if (topic === 'orphaned_feedback' && orphanIds.size > 0) note = dim(` (the app sent ${orphanIds.size} on purpose)`);
    const files = new Set(rs.map((r) => r.file)).size;
    console.log(`   ${topic.padEnd(22)} ${String(rs.length).padStart(5)}${note}${files > 0 ? dim(`  in ${files} file(s)`) : ''}`);
  }

  // Entity counts from the redaction summaries of the latest version of each record.
  const entities: Record<string, number> = {};
  for (const rec of latestByRequest(mine.filter((r) => r.topic === 'labeled_interactions')).values()) {
    const map = field(rec, 'redaction.entities');
    if (typeof map === 'object' && map !== null) {
      for (const [k, v] of Object.entries(map)) if (typeof v === 'number') entities[k] = (entities[k] ?? 0) + v;
    }
  }
  const entityText = Object.entries(entities)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  if (entityText) console.log(`\n   ${bold('PII redacted')} ${entityText}`);

  const joined = new Set<string>();
  for (const rec of latestByRequest(mine.filter((r) => r.topic === 'labeled_interactions')).values()) {
    if (list(rec, 'feedback').length > 0) joined.add(requestIdOf(rec) ?? '');
  }
  console.log(`   ${bold('Feedback joined')} ${joined.size} of ${summary.counts.interactionsWithFeedback + uniqueEvaluated(summary)} answers that received feedback or an evaluation`);
  console.log(dim(`\n   Read the files with any Avro reader (the schema is in each file's header), e.g. avsc's createFileDecoder.`));
  console.log(dim('   Tune sampling, redaction and routing in config/default.yaml; `npm run validate -- config/default.yaml` checks it.'));
}

/** Answers evaluated by the judge that got no user feedback (so the "joined" total is not double-counted). */
function uniqueEvaluated(s: GenAiAppSummary): number {
  const withFeedback = new Set(s.feedback.filter((f) => !f.orphan).map((f) => f.requestId));
  return new Set(s.evaluations.map((e) => e.requestId).filter((id) => !withFeedback.has(id))).size;
}

function shortId(id: string): string {
  return id.length > 19 ? `${id.slice(0, 18)}…` : id;
}

/** Pads or truncates to exactly `width` characters. */
function fit(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s + ' '.repeat(width - chars.length);
  return `${chars.slice(0, width - 1).join('')}…`;
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function parseOptions(argv: string[]): DemoOptions {
  const opts: DemoOptions = {
    endpoint: 'http://127.0.0.1:4318',
    out: 'data/out',
    conversations: 20,
    feedbackShare: 0.5,
    timeoutS: 90,
    protocol: 'http/protobuf',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') throw new UsageError('');
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    const number = (min: number, max: number): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} must be a number from ${min} to ${max}, got "${v}"`);
      return n;
    };
    switch (name) {
      case '--endpoint':
        opts.endpoint = value().replace(/\/+$/, '');
        if (!/^https?:\/\//.test(opts.endpoint)) opts.endpoint = `http://${opts.endpoint}`;
        break;
      case '--out':
        opts.out = value().replace(/\/+$/, '');
        break;
      case '--conversations':
        opts.conversations = Math.floor(number(1, 10_000));
        break;
      case '--feedback-share':
        opts.feedbackShare = number(0, 1);
        break;
      case '--timeout':
        opts.timeoutS = number(1, 86_400);
        break;
      case '--protocol': {
        const p = value();
        if (p !== 'http/protobuf' && p !== 'http/json') throw new UsageError(`--protocol must be http/protobuf or http/json, got "${p}"`);
        opts.protocol = p;
        break;
      }
      default:
        throw new UsageError(`Unknown option ${arg}`);
    }
  }
  return opts;
}

// A script, not a library: the exit code is the result.
main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    status('');
    console.error(red(`\nThe demo failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
    process.exitCode = 1;
  },
);

