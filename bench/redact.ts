// Throughput of the redact stage on realistic GenAI interactions: a system
// prompt, a few chat turns, a tool call with JSON arguments and its response,
// about 3 KB of message text each, PII and credentials in some of them.
// Reports MB/s of message text on one core (wall and CPU time) and writes
// bench/results/redact.json with the machine it ran on.
//
//   node dist/bench/redact.js [--seconds 5]
//
// The lead's bench runner calls run(options).

import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Interaction, Message } from '../src/model';
import { createRedactor, defaultRedactConfig } from '../src/stages/redact';

export interface RedactBenchOptions {
  /** How long to measure, after warm-up. Default 5 s. */
  seconds?: number;
  /** Distinct interactions cycled through. Default 500. */
  interactions?: number;
  /** Approximate characters of message text per interaction. Default 3000. */
  textChars?: number;
  /** Write bench/results/redact.json. Default true. */
  write?: boolean;
  seed?: number;
}

export interface RedactBenchResult {
  name: 'redact';
  interactions: number;
  events: number;
  messageTextMB: number;
  wallSeconds: number;
  cpuSeconds: number;
  mbPerSecondWall: number;
  mbPerSecondCpu: number;
  /** Mean CPU time per event: on a shared, loaded machine steadier than wall-clock latencies. */
  cpuUsPerEvent: number;
  eventsPerSecond: number;
  latencyUs: { p50: number; p99: number; max: number };
  avgTextBytesPerEvent: number;
  shareWithEntities: number;
  entitiesPerEvent: number;
  machine: { cpu: string; cores: number; node: string; os: string; arch: string };
  measuredAt: string;
}

const RESULT_FILE = resolve(__dirname, '..', '..', 'bench/results/redact.json');

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYSTEM =
  'You are the support assistant for ACME Cloud. Answer in the customer\'s language, keep sentences short and friendly, ' +
  'never promise refunds above 500 EUR without a human, and escalate security issues to the on-call engineer. ' +
  'Use the tools lookup_customer, create_ticket and issue_refund when needed; cite the knowledge base article ids. ';
const USER_TURNS = [
  'Hi, I was charged twice for my subscription this month (invoice INV-2024-0871, 49.00 EUR on 2024-06-01). Can you refund one of them?',
  'The dashboard shows error 502 since version 4.12.1 was rolled out yesterday around 10:30 UTC. Our team of 12 people cannot work.',
  'Please summarize the attached quarterly report in five bullet points and list the three biggest risks for the next two quarters.',
  'How do I rotate the API credentials for our staging environment without downtime? We use two regions and a blue/green setup.',
  'Translate the following paragraph into German and keep the formal tone: "We apologise for the delay in delivering your order."',
  'My password reset email never arrives. I checked the spam folder twice and waited 30 minutes; the account was created in 2019.',
];
const ASSISTANT_TURNS = [
  'I am sorry about the double charge. I can see two payments for the same period; I have opened a refund for the second one, which usually takes 3 to 5 business days to appear on your statement.',
  'Thanks for the details. Version 4.12.1 changed the load balancer health checks; a fix is being deployed now and the status page will be updated within the next 15 minutes.',
  'Here is a summary of the report: revenue grew 8 % quarter over quarter, churn fell to 2.1 %, the EMEA pipeline doubled, costs rose with the new data centre, and hiring slowed in Q2.',
  'You can rotate credentials with zero downtime by creating the new key first, deploying it to both regions, switching traffic, and only then revoking the old key after 24 hours.',
];
const PII = [
  (r: () => number) => ` You can reach me at jane.doe${Math.floor(r() * 1000)}@example.com.`,
  (r: () => number) => ` Call me on +44 20 7946 ${String(Math.floor(r() * 10000)).padStart(4, '0')} after 5pm.`,
  () => ' The card on file is 4111 1111 1111 1111.',
  () => ' Please refund to IBAN GB82 WEST 1234 5698 7654 32.',
  () => ' Our staging key is sk-proj-abcdefghijklmnopqrstuvwxyz012345, please check it.',
  () => ' My SSN is 123-45-6789 if you need it for the tax form.',
  (r: () => number) => ` The VPN gave me 10.20.${Math.floor(r() * 255)}.${Math.floor(r() * 250) + 1}.`,
];

function makeInteraction(r: () => number, i: number, textChars: number): Interaction {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const withPii = (s: string) => (r() < 0.25 ? s + pick(PII)(r) : s);
  const input: Message[] = [];
  const output: Message[] = [];
  let size = SYSTEM.length;
  while (size < textChars - 600) {
    const u = withPii(pick(USER_TURNS));
    const a = withPii(pick(ASSISTANT_TURNS));
    input.push({ role: 'user', parts: [{ type: 'text', content: u }] }, { role: 'assistant', parts: [{ type: 'text', content: a }] });
    size += u.length + a.length;
  }
  input.pop(); // end on a user turn
  const args = JSON.stringify({ customer_email: r() < 0.3 ? `c${i}@example.org` : null, order_id: `ORD-${100000 + i}`, amount: 49, currency: 'EUR', reason: 'duplicate charge' });
  const response = JSON.stringify({ status: 'ok', refund_id: `re_${i.toString(36)}`, eta_days: 5, note: 'Refund created for the duplicate payment.' });
  output.push({
    role: 'assistant',
    parts: [
      { type: 'text', content: withPii(pick(ASSISTANT_TURNS)) },
      { type: 'tool_call', id: `call_${i}`, name: 'issue_refund', arguments: args },
    ],
    finishReason: 'tool_calls',
  });
  input.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: `call_${i}`, response }] });
  return {
    kind: 'interaction',
    requestId: `chatcmpl-${i}`,
    dialect: 'otel_genai_current',
    span: { traceId: i.toString(16).padStart(32, '0'), spanId: i.toString(16).padStart(16, '0') },
    provider: 'openai',
    requestModel: 'gpt-4o',
    userId: `user-${i % 97}`,
    sessionId: `sess-${i % 31}`,
    params: { temperature: 0.2, maxTokens: 1024 },
    usage: { inputTokens: 900, outputTokens: 120 },
    startTimeMs: 1_717_243_200_000 + i,
    endTimeMs: 1_717_243_201_000 + i,
    finishReasons: ['tool_calls'],
    systemInstructions: [{ type: 'text', content: SYSTEM }],
    inputMessages: input,
    outputMessages: output,
    resource: { serviceName: 'support-assistant' },
    extra: { 'app.tenant': `tenant-${i % 7}`, 'http.request.header.authorization': 'Bearer redacted-by-key-rule' },
  };
}

/** UTF-8 bytes of all message text in the event: what "MB/s of message text" counts. */
function textBytes(ev: Interaction): number {
  let n = 0;
  const parts = [...ev.systemInstructions, ...[...ev.inputMessages, ...ev.outputMessages].flatMap((m) => m.parts)];
  for (const p of parts) {
    const s = p.type === 'tool_call' ? p.arguments : p.type === 'tool_call_response' ? p.response : p.content;
    n += Buffer.byteLength(s, 'utf8');
  }
  return n;
}

export async function run(options: RedactBenchOptions = {}): Promise<RedactBenchResult> {
  const seconds = options.seconds ?? 5;
  const count = options.interactions ?? 500;
  const r = prng(options.seed ?? 42);
  const events = Array.from({ length: count }, (_, i) => makeInteraction(r, i, options.textChars ?? 3000));
  const bytes = events.map(textBytes);
  const redactor = createRedactor(defaultRedactConfig(), { FEEDBACK_LOOP_HMAC_KEY: 'bench-key-not-a-secret-0123456789abcdef' });

  let withEntities = 0;
  let entityCount = 0;
  for (const ev of events) {
    const { summary } = redactor.redact(ev); // also the warm-up
    const n = Object.values(summary.entities).reduce((a, b) => a + b, 0);
    entityCount += n;
    if (n > 0) withEntities++;
  }

  const latencies: number[] = [];
  let done = 0;
  let totalBytes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(Math.round(seconds * 1e9));
  let now = t0;
  while (now < deadline) {
    const i = done % count;
    const s = process.hrtime.bigint();
    redactor.redact(events[i]!);
    now = process.hrtime.bigint();
    latencies.push(Number(now - s) / 1000);
    totalBytes += bytes[i]!;
    done++;
  }
  const wall = Number(now - t0) / 1e9;
  const cpuUsed = process.cpuUsage(cpu0);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!);
  const mb = totalBytes / 1e6;
  const result: RedactBenchResult = {
    name: 'redact',
    interactions: count,
    events: done,
    messageTextMB: Number(mb.toFixed(2)),
    wallSeconds: Number(wall.toFixed(3)),
    cpuSeconds: Number(cpu.toFixed(3)),
    mbPerSecondWall: Number((mb / wall).toFixed(2)),
    mbPerSecondCpu: Number((mb / cpu).toFixed(2)),
    cpuUsPerEvent: Number(((cpu * 1e6) / done).toFixed(1)),
    eventsPerSecond: Math.round(done / wall),
    latencyUs: { p50: q(0.5), p99: q(0.99), max: Math.round(latencies[latencies.length - 1]!) },
    avgTextBytesPerEvent: Math.round(bytes.reduce((a, b) => a + b, 0) / count),
    shareWithEntities: Number((withEntities / count).toFixed(3)),
    entitiesPerEvent: Number((entityCount / count).toFixed(2)),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, os: `${platform()} ${release()}`, arch: arch() },
    measuredAt: new Date().toISOString(),
  };
  if (options.write ?? true) {
    mkdirSync(dirname(RESULT_FILE), { recursive: true });
    writeFileSync(RESULT_FILE, JSON.stringify(result, null, 2) + '\n');
  }
  return result;
}

if (require.main === module) {
  const i = process.argv.indexOf('--seconds');
  void run({ seconds: i >= 0 ? Number(process.argv[i + 1]) : 5 }).then((r) => {
    console.log(
      `redact: ${r.mbPerSecondWall} MB/s of message text (wall), ${r.mbPerSecondCpu} MB/s per CPU-second; ` +
        `${r.eventsPerSecond} events/s of ~${r.avgTextBytesPerEvent} B, ${r.cpuUsPerEvent} µs CPU each; p50 ${r.latencyUs.p50} µs, p99 ${r.latencyUs.p99} µs; ` +
        `${Math.round(r.shareWithEntities * 100)} % of events with entities (${r.entitiesPerEvent}/event)`,
    );
    console.log(`machine: ${r.machine.cpu}, ${r.machine.cores} cores, node ${r.machine.node}; wrote ${RESULT_FILE}`);
  });
}
