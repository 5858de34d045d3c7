// Shared helpers for the redact tests. Key-shaped values are assembled at run
// time from a fixed seed, so no string in this folder looks like a live
// credential to a secret scanner, and every run sees the same values.

import { createRedactor, defaultRedactConfig, type RedactConfig, type Redactor } from '../../../src/stages/redact';
import { BUILTIN_TYPES } from '../../../src/stages/redact/entities';
import { createScanner } from '../../../src/stages/redact/scan';
import type { Interaction } from '../../../src/model';

export const KEY_ENV = 'FEEDBACK_LOOP_HMAC_KEY';
export const KEY = 'test-hmac-key-0123456789abcdef0123456789abcdef';
export const OTHER_KEY = 'another-test-key-fedcba9876543210fedcba9876543210';

export function redactor(overrides: Partial<RedactConfig> = {}, key: string = KEY): Redactor {
  return createRedactor({ ...defaultRedactConfig(), ...overrides }, { [KEY_ENV]: key });
}

const scanner = createScanner(new Set(BUILTIN_TYPES), []);
/** [type, matched text] for every detection, in order. */
export function detect(text: string): Array<[string, string]> {
  return scanner.detect(text).map((s) => [s.type, text.slice(s.start, s.end)]);
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = seeded(7);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function chars(n: number, alphabet = ALNUM): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
  return s;
}
/** Random material with upper, lower and digits, as real keys practically always have. */
function mixed(n: number, alphabet = ALNUM): string {
  for (;;) {
    const s = chars(n, alphabet);
    if (/\d/.test(s) && /[A-Z]/.test(s) && /[a-z]/.test(s)) return s;
  }
}
const j = (...parts: string[]) => parts.join('');

export const fake = {
  openai: () => j('sk', '-', mixed(48)),
  openaiProject: () => j('sk', '-proj-', mixed(120, ALNUM + '-_')),
  anthropic: () => j('sk', '-ant-', 'api03-', mixed(93, ALNUM + '-_'), 'AA'),
  aws: () => j('AK', 'IA', chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')),
  awsSession: () => j('AS', 'IA', chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')),
  github: (prefix = 'ghp') => j(prefix, '_', mixed(36)),
  githubPat: () => j('github', '_pat_', mixed(22), '_', mixed(59)),
  slack: (kind = 'b') => j('xo', 'x', kind, '-', chars(12, '0123456789'), '-', chars(13, '0123456789'), '-', mixed(24)),
  stripe: (prefix = 'sk_live') => j(prefix.slice(0, 3), prefix.slice(3), '_', mixed(32)),
  google: () => j('AI', 'za', mixed(35, ALNUM + '-_')),
  jwt: () =>
    [
      Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url'),
      Buffer.from(JSON.stringify({ sub: '1234567890', name: 'Jane Doe', iat: 1516239022 })).toString('base64url'),
      chars(43, ALNUM + '-_'),
    ].join('.'),
  pem: (label = 'RSA PRIVATE KEY', nl = '\n') =>
    [j('-----BEGIN ', label, '-----'), 'MII' + chars(61, ALNUM + '+/'), chars(64, ALNUM + '+/'), chars(20, ALNUM + '+/') + '==', j('-----END ', label, '-----')].join(nl),
  bearer: () => mixed(40, ALNUM + '-._~'),
};

/** A realistic interaction with every kind of string field populated. */
export function sampleInteraction(overrides: Partial<Interaction> = {}): Interaction {
  return {
    kind: 'interaction',
    requestId: 'chatcmpl-9XkR2pQ7vLmN3oS8',
    dialect: 'otel_genai_current',
    span: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
    provider: 'openai',
    operation: 'chat',
    requestModel: 'gpt-4o',
    responseModel: 'gpt-4o-2024-08-06',
    responseId: 'chatcmpl-9XkR2pQ7vLmN3oS8',
    conversationId: 'thread of jane.doe@example.com',
    userId: 'user-8812',
    sessionId: 'sess-77f2',
    params: { temperature: 0.2, maxTokens: 512, stopSequences: ['END'] },
    usage: { inputTokens: 120, outputTokens: 40 },
    startTimeMs: 1_717_243_200_000,
    endTimeMs: 1_717_243_201_000,
    finishReasons: ['tool_calls'],
    systemInstructions: [{ type: 'text', content: 'You are a support agent. Escalate to ops@example.com.' }],
    inputMessages: [
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'I am jane.doe@example.com, card 4111 1111 1111 1111, phone +44 20 7946 0958. Again: jane.doe@example.com' },
        ],
      },
    ],
    outputMessages: [
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'User jane.doe@example.com wants a refund.' },
          { type: 'tool_call', id: 'call_1', name: 'refund', arguments: '{"email":"jane.doe@example.com","iban":"GB82 WEST 1234 5698 7654 32","amount":49.99,"notes":null}' },
        ],
        finishReason: 'tool_calls',
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: '{"status":"ok","ticket":"T-1182","contact":"ops@example.com"}' }] },
    ],
    resource: { serviceName: 'support-assistant', serviceVersion: '2.4.1' },
    extra: { 'app.customer_note': 'call me on +44 20 7946 0958', 'http.request.header.authorization': 'Bearer abc', 'app.region': 'eu-west-1' },
    ...overrides,
  };
}
