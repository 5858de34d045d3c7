// A local stand-in for the OpenAI Chat Completions API, so the instrumented
// test app (and the demo) produce real client spans without a network or a
// key. Answers are deterministic: the same seed and the same sequence of
// requests give the same ids and texts, which lets tests assert on exactly
// what reached the service. They are also varied on purpose — tool calls,
// truncation (finish_reason "length"), JSON mode, streaming — because each of
// those is a case the normalizer and the rule-based labelers must handle.

import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeModelServerOptions {
  /** Interface to bind; loopback by default so nothing is exposed. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /**
   * Mixed into every completion id. Two runs against the same feedback-loop
   * service need different seeds, or their ids (the join key) would collide.
   */
  seed?: string;
  /** Delay before each answer, to give spans a realistic duration. */
  latencyMs?: number;
  /** Delay between streamed chunks (time to first chunk stays measurable). */
  chunkDelayMs?: number;
}

/** What the server answered, in order; tests compare it with what landed downstream. */
export interface ServedCompletion {
  id: string;
  requestModel: string;
  responseModel: string;
  stream: boolean;
  finishReason: FinishReason;
  toolCall: boolean;
  json: boolean;
  promptTokens: number;
  completionTokens: number;
}

export interface FakeModelServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** `${url}/v1` — what an OpenAI client takes as baseURL. */
  baseURL: string;
  port: number;
  served: ServedCompletion[];
  stop(): Promise<void>;
}

type FinishReason = 'stop' | 'length' | 'tool_calls';

// The subset of the request body we read. Requests come from any client, so
// everything is optional and checked at runtime.
interface ChatRequest {
  model: string;
  messages: RequestMessage[];
  stream: boolean;
  includeUsage: boolean;
  tools: RequestTool[];
  toolChoiceNone: boolean;
  jsonMode: boolean;
  maxTokens?: number;
}

interface RequestMessage {
  role: string;
  content: string;
}

interface RequestTool {
  name: string;
  parameterNames: string[];
}

interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

interface Reply {
  content: string | null;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  completionTokens: number;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

// OpenAI answers with a dated snapshot name; reproducing that keeps
// gen_ai.request.model and gen_ai.response.model different, as in production.
const SNAPSHOTS: Record<string, string> = {
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4.1': 'gpt-4.1-2025-04-14',
  'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
};

export async function start(options: FakeModelServerOptions = {}): Promise<FakeModelServer> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? 'fake-model';
  const served: ServedCompletion[] = [];
  let counter = 0;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the fake must show up as a failed request, not a hung client.
      if (!res.headersSent) sendError(res, 500, 'server_error', `fake model server error: ${String(err)}`);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/health' || path === '/')) {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: Object.keys(SNAPSHOTS).map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'fake' })),
      });
      return;
    }
    if (path !== '/v1/chat/completions') {
      sendError(res, 404, 'invalid_request_error', `Unknown request URL: ${req.method} ${path}`);
      return;
    }
    if (req.method !== 'POST') {
      sendError(res, 405, 'invalid_request_error', 'Use POST for /v1/chat/completions');
      return;
    }
    const raw = await readBody(req);
    if (raw === undefined) {
      sendError(res, 413, 'invalid_request_error', 'Request body too large');
      return;
    }
    const parsed = parseChatRequest(raw);
    if (typeof parsed === 'string') {
      sendError(res, 400, 'invalid_request_error', parsed);
      return;
    }

    counter += 1;
    const id = completionId(seed, counter, raw);
    const reply = composeReply(parsed, id);
    const promptTokens = countPromptTokens(parsed);
    const responseModel = SNAPSHOTS[parsed.model] ?? parsed.model;
    served.push({
      id,
      requestModel: parsed.model,
      responseModel,
      stream: parsed.stream,
      finishReason: reply.finishReason,
      toolCall: reply.toolCalls.length > 0,
      json: parsed.jsonMode,
      promptTokens,
      completionTokens: reply.completionTokens,
    });
    if (options.latencyMs) await sleep(options.latencyMs);

    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: reply.completionTokens,
      total_tokens: promptTokens + reply.completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
    if (parsed.stream) {
      await streamReply(res, { id, created, model: responseModel, reply, usage: parsed.includeUsage ? usage : undefined }, options.chunkDelayMs ?? 0);
      return;
    }
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: responseModel,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: reply.content,
            refusal: null,
            annotations: [],
            ...(reply.toolCalls.length > 0
              ? {
                  tool_calls: reply.toolCalls.map((tc) => ({
                    id: tc.id,
                    type: 'function',
                    function: { name: tc.name, arguments: tc.arguments },
                  })),
                }
              : {}),
          },
          logprobs: null,
          finish_reason: reply.finishReason,
        },
      ],
      usage,
      service_tier: 'default',
      system_fingerprint: 'fp_fake00001',
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    baseURL: `${url}/v1`,
    port,
    served,
    stop(): Promise<void> {
      // Clients keep connections alive; without closing them close() would wait for their idle timeout.
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

/** Alias with a self-explaining name for callers that import several starters. */
export const startFakeModelServer = start;

// ---------------------------------------------------------------------------
// Request parsing

function parseChatRequest(raw: Buffer): ChatRequest | string {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return 'We could not parse the JSON body of your request.';
  }
  if (!isObject(body)) return 'The request body must be a JSON object.';
  if (typeof body.model !== 'string' || body.model === '') return "Missing required parameter: 'model'.";
  if (!Array.isArray(body.messages) || body.messages.length === 0) return "Missing required parameter: 'messages'.";
  const messages: RequestMessage[] = [];
  for (const m of body.messages) {
    if (!isObject(m) || typeof m.role !== 'string') return "Invalid 'messages': every message needs a 'role'.";
    messages.push({ role: m.role, content: messageText(m.content) });
  }
  const tools: RequestTool[] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) {
      if (isObject(t) && isObject(t.function) && typeof t.function.name === 'string') {
        const params = isObject(t.function.parameters) && isObject(t.function.parameters.properties) ? Object.keys(t.function.parameters.properties) : [];
        tools.push({ name: t.function.name, parameterNames: params });
      }
    }
  }
  const maxTokens = typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : typeof body.max_tokens === 'number' ? body.max_tokens : undefined;
  return {
    model: body.model,
    messages,
    stream: body.stream === true,
    includeUsage: isObject(body.stream_options) && body.stream_options.include_usage === true,
    tools,
    toolChoiceNone: body.tool_choice === 'none',
    jsonMode: isObject(body.response_format) && body.response_format.type === 'json_object',
    maxTokens: maxTokens !== undefined && maxTokens > 0 ? Math.floor(maxTokens) : undefined,
  };
}

/** Content may be a string or an array of parts; only text matters here. */
function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
  }
  return '';
}

// ---------------------------------------------------------------------------
// Answer composition

function composeReply(req: ChatRequest, id: string): Reply {
  const last = req.messages[req.messages.length - 1];
  const lastUser = [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  // The variety is chosen from the content (not from a counter) so a given
  // prompt always gets the same kind of answer, whatever ran before it.
  const bucket = hashInt(lastUser) % 7;

  if (last.role === 'user' && req.tools.length > 0 && !req.toolChoiceNone && wantsTool(lastUser, bucket)) {
    const tool = pickTool(req.tools, lastUser);
    const args: Record<string, string> = {};
    // Users mention the order once and then say "it": look back through the conversation.
    const userTexts = req.messages.filter((m) => m.role === 'user').map((m) => m.content).reverse();
    for (const name of tool.parameterNames) args[name] = argumentFor(name, userTexts);
    if (tool.parameterNames.length === 0) args.query = truncateWords(lastUser, 12);
    const call: ToolCall = { id: `call_${id.slice(-16)}`, name: tool.name, arguments: JSON.stringify(args) };
    return { content: null, toolCalls: [call], finishReason: 'tool_calls', completionTokens: 8 + countTokens(call.arguments) };
  }

  let text: string;
  let forcedLength = false;
  if (req.jsonMode) {
    const obj = {
      intent: classify(lastUser),
      customer: {
        name: firstMatch(lastUser, /\b([A-Z][a-z]+ [A-Z][a-z]+)\b/),
        email: firstMatch(lastUser, /[\w.+-]+@[\w-]+\.[\w.]+/),
        phone: firstMatch(lastUser, /\+?\d[\d\s().-]{7,}\d/),
      },
      summary: truncateWords(lastUser, 14),
      confidence: Number((0.55 + (hashInt(`${lastUser}#c`) % 40) / 100).toFixed(2)),
    };
    text = JSON.stringify(obj, null, 2);
    // One JSON answer in seven is cut off mid-object: the rule labeler's
    // "valid JSON when JSON was asked for" check needs real failures too.
    forcedLength = bucket === 3;
  } else if (last.role === 'tool') {
    text = `I checked our system: ${describeToolResult(last.content)} ${closing(bucket)}`;
  } else {
    text = plainAnswer(lastUser, bucket, req.messages.filter((m) => m.role === 'user').length);
    forcedLength = bucket === 5;
  }

  const limit = req.maxTokens ?? (forcedLength ? Math.max(6, Math.floor(countTokens(text) * 0.6)) : undefined);
  const full = countTokens(text);
  if (limit !== undefined && full > limit) {
    const cut = truncateToTokens(text, limit);
    return { content: cut, toolCalls: [], finishReason: 'length', completionTokens: limit };
  }
  return { content: text, toolCalls: [], finishReason: 'stop', completionTokens: full };
}

function wantsTool(userText: string, bucket: number): boolean {
  return /\border\b|tracking|refund|address|shipment|package/i.test(userText) || bucket === 1;
}

/** The tool whose name shares a word with the request, else the first one. */
function pickTool(tools: RequestTool[], userText: string): RequestTool {
  const lower = userText.toLowerCase();
  const scored = tools.map((t) => ({ t, score: t.name.split(/[_\W]+/).filter((w) => w.length > 3 && lower.includes(w)).length }));
  scored.sort((a, b) => b.score - a.score);
  return scored[0].t;
}

function argumentFor(param: string, userTexts: string[]): string {
  const find = (re: RegExp): string | null => {
    for (const t of userTexts) {
      const m = firstMatch(t, re);
      if (m) return m;
    }
    return null;
  };
  const latest = userTexts[0] ?? '';
  if (/order/i.test(param)) return find(/\b[A-Z]{1,3}-?\d{4,}\b/) ?? 'UNKNOWN';
  if (/email/i.test(param)) return find(/[\w.+-]+@[\w-]+\.[\w.]+/) ?? '';
  if (/phone/i.test(param)) return find(/\+?\d[\d\s().-]{7,}\d/) ?? '';
  if (/address/i.test(param)) return find(/\bto (.+?)\.(?:\s|$)/) ?? truncateWords(latest, 8);
  if (/amount/i.test(param)) return find(/\$?\d+(?:\.\d\d)?/) ?? '0';
  return truncateWords(latest, 10);
}

function describeToolResult(content: string): string {
  try {
    const parsed: unknown = JSON.parse(content);
    if (isObject(parsed)) {
      const parts = Object.entries(parsed)
        .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        .map(([k, v]) => `${k.replace(/_/g, ' ')} is ${String(v)}`);
      if (parts.length > 0) return `${parts.join(', ')}.`;
    }
  } catch {
    // Not JSON: quote it as text below.
  }
  return `the lookup returned "${truncateWords(content, 16)}".`;
}

function classify(text: string): string {
  if (/router|wi-?fi|device|firmware|restart/i.test(text)) return 'troubleshooting';
  if (/call back|extract/i.test(text)) return 'callback';
  if (/refund|charged|charge|invoice|billing/i.test(text)) return 'billing';
  if (/order|tracking|deliver|shipment|package/i.test(text)) return 'order_status';
  if (/log ?in|password|account/i.test(text)) return 'account_access';
  if (/return|policy/i.test(text)) return 'policy';
  return 'general';
}

// Answer bodies by topic, so a reader of the demo output sees plausible replies.
const BODIES: Record<string, readonly string[]> = {
  billing: [
    'I can see two authorizations for the same amount; the second one is a pending hold that your bank releases within 3–5 business days.',
    'I have escalated this to our billing team with priority, and you will receive a confirmation with a case number shortly.',
  ],
  order_status: [
    'Your order is with the carrier and the latest scan shows it at the regional hub; deliveries from there usually arrive within two business days.',
    'You can follow the shipment under Account → Orders → Track, and I can send the tracking link again if you like.',
  ],
  account_access: [
    'For your security, please use "Forgot password" on the login page; the reset link goes to the email address on file and is valid for one hour.',
    'I have unlocked the sign-in for your account after too many attempts; please wait five minutes before trying again.',
  ],
  policy: [
    'Based on our policy, items can be returned within 30 days in their original packaging; opened electronics are subject to a 15% restocking fee unless they arrived damaged, in which case the fee is waived and we also cover the return shipping label.',
  ],
  troubleshooting: [
    'Please try moving the router away from other electronics, switching the 2.4 GHz channel to 1, 6 or 11, and updating its firmware from the admin page at 192.168.1.1.',
    'If the drops continue after a firmware update, a factory reset usually helps; if that does not fix it, we can send a replacement under warranty.',
  ],
  callback: ['I have scheduled a callback for tomorrow between 9 and 11 am.'],
  general: [
    'Here is what I suggest: first, confirm the details on your account page; second, wait up to 24 hours for the update to show; third, reply here if nothing changes.',
    'Our records show the request was received, and a specialist will follow up by email within one business day.',
  ],
};

// Echo-ish answers: some quote the question, so PII in the prompt also shows
// up in the output and redaction has to find it on both sides.
function plainAnswer(userText: string, bucket: number, turn: number): string {
  const quote = truncateWords(userText, 18);
  const topic = classify(userText);
  const words = topic.replace('_', ' ');
  const openers = [
    `Thanks for reaching out about your ${words} question.`,
    `I understand — "${quote}"`,
    `Happy to help with that.`,
    `Sorry for the trouble with your ${words} issue.`,
    `Let me look into this for you.`,
    `Good question.`,
    `Thanks for the details you shared: "${quote}"`,
  ];
  const bodies = BODIES[topic] ?? BODIES.general;
  const follow = turn > 1 ? ' I have added this to the same case so you do not need to repeat yourself.' : '';
  return `${openers[bucket % openers.length]} ${bodies[(bucket + turn) % bodies.length]}${follow} ${closing(bucket)}`;
}

function closing(bucket: number): string {
  return ['Is there anything else I can help you with?', 'Let me know if that works for you.', 'Have a great day!'][bucket % 3];
}

// ---------------------------------------------------------------------------
// Streaming (Server-Sent Events, as the OpenAI API sends them)

interface StreamParams {
  id: string;
  created: number;
  model: string;
  reply: Reply;
  usage?: object;
}

async function streamReply(res: ServerResponse, p: StreamParams, delayMs: number): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const base = { id: p.id, object: 'chat.completion.chunk', created: p.created, model: p.model, service_tier: 'default', system_fingerprint: 'fp_fake00001' };
  const send = async (chunk: object): Promise<void> => {
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    if (delayMs > 0) await sleep(delayMs);
  };
  const choice = (delta: object, finish: FinishReason | null): object => ({ index: 0, delta, logprobs: null, finish_reason: finish });

  await send({ ...base, choices: [choice({ role: 'assistant', content: p.reply.content === null ? null : '', refusal: null }, null)] });
  if (p.reply.content !== null) {
    for (const piece of splitForStreaming(p.reply.content)) await send({ ...base, choices: [choice({ content: piece }, null)] });
  }
  for (const [index, tc] of p.reply.toolCalls.entries()) {
    await send({ ...base, choices: [choice({ tool_calls: [{ index, id: tc.id, type: 'function', function: { name: tc.name, arguments: '' } }] }, null)] });
    for (const piece of splitForStreaming(tc.arguments)) {
      await send({ ...base, choices: [choice({ tool_calls: [{ index, function: { arguments: piece } }] }, null)] });
    }
  }
  await send({ ...base, choices: [choice({}, p.reply.finishReason)] });
  if (p.usage) await send({ ...base, choices: [], usage: p.usage });
  res.end('data: [DONE]\n\n');
}

/** Pieces of about three words, whitespace kept, so the concatenation is the original text. */
function splitForStreaming(text: string): string[] {
  const words = text.match(/\S+\s*/g) ?? [text];
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += 3) pieces.push(words.slice(i, i + 3).join(''));
  return pieces;
}

// ---------------------------------------------------------------------------
// Tokens and ids

/** A rough BPE stand-in: words and punctuation marks count one token each. */
function countTokens(text: string): number {
  return (text.match(/\w+|[^\s\w]/g) ?? []).length;
}

function countPromptTokens(req: ChatRequest): number {
  // Per-message overhead and tool schemas make prompt counts look like the real API's.
  let n = 3;
  for (const m of req.messages) n += 4 + countTokens(m.content);
  for (const t of req.tools) n += 12 + 6 * t.parameterNames.length;
  return n;
}

function truncateToTokens(text: string, limit: number): string {
  const re = /\w+|[^\s\w]/g;
  let end = 0;
  for (let i = 0; i < limit; i++) {
    const m = re.exec(text);
    if (!m) return text;
    end = m.index + m[0].length;
  }
  return text.slice(0, end);
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** chatcmpl-<29 base62 chars>, shaped like the real API's ids. */
function completionId(seed: string, counter: number, body: Buffer): string {
  const digest = createHash('sha256').update(seed).update('\0').update(String(counter)).update('\0').update(body).digest();
  let n = BigInt(`0x${digest.toString('hex')}`);
  let out = '';
  while (out.length < 29) {
    out += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return `chatcmpl-${out}`;
}

function hashInt(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

// ---------------------------------------------------------------------------
// Small helpers

function truncateWords(text: string, words: number): string {
  const all = text.trim().split(/\s+/);
  return all.length <= words ? all.join(' ') : `${all.slice(0, words).join(' ')}…`;
}

function firstMatch(text: string, re: RegExp): string | null {
  const m = re.exec(text);
  if (!m) return null;
  return (m[1] ?? m[0]).trim();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { error: { message, type, param: null, code: null } });
}
