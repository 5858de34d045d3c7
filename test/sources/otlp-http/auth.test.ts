import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { otlpHttpReceiverFactory, createAuthenticator } from '../../../src/sources/otlp-http';
import { ConfigError, parseConfig } from '../../../src/config/load';
import { createLogger, Metrics, systemClock, type ComponentContext } from '../../../src/telemetry';
import { tracesProtobuf, makeSpans } from '../../otlp/sdk-data';
import { decodeStatus } from '../../otlp/pb';
import { FakeConsumer, config, send } from './helpers';
import { tempDir } from '../../helpers/tmp';

const TOKEN = 'tok-3f9a7c1e5b2d4f60a8c9e7d1b3f5a2c4';
const PB = { 'Content-Type': 'application/x-protobuf' };
const spansP = makeSpans();

/** A context whose log lines are captured, to prove the token never reaches them. */
function capturingCtx(): { ctx: ComponentContext; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'trace', destination: { write: (s: string) => void lines.push(s) } });
  return { ctx: { logger, metrics: new Metrics(), clock: systemClock }, lines };
}

test('authenticator: env and file tokens, scheme case-insensitive, missing vs invalid', () => {
  const open = createAuthenticator({}, {});
  assert.equal(open.check(undefined), undefined, 'off by default: everything passes');

  const a = createAuthenticator({ bearer_token_env: 'OTLP_TOKEN' }, { OTLP_TOKEN: `  ${TOKEN}\n` });
  assert.equal(a.check(`Bearer ${TOKEN}`), undefined);
  assert.equal(a.check(`bearer ${TOKEN}`), undefined);
  assert.equal(a.check(`BEARER   ${TOKEN} `), undefined);
  assert.equal(a.check(undefined), 'auth_missing');
  assert.equal(a.check(''), 'auth_missing');
  assert.equal(a.check(`Bearer ${TOKEN}x`), 'auth_invalid', 'longer');
  assert.equal(a.check(`Bearer ${TOKEN.slice(0, -1)}`), 'auth_invalid', 'prefix');
  assert.equal(a.check('Bearer x'), 'auth_invalid', 'much shorter: digests keep timingSafeEqual lengths equal');
  assert.equal(a.check(`Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`), 'auth_invalid', 'other scheme');
  assert.equal(a.check(TOKEN), 'auth_invalid', 'no scheme');
  assert.equal(a.check(`Bearer ${TOKEN} extra`), 'auth_invalid');

  const dir = tempDir('auth-');
  const file = join(dir, 'token');
  writeFileSync(file, `${TOKEN}\n`);
  const f = createAuthenticator({ bearer_token_file: file }, {});
  assert.equal(f.check(`Bearer ${TOKEN}`), undefined, 'trailing newline of a mounted secret is trimmed');
});

test('authenticator: an unset variable, an empty or unreadable file is a ConfigError naming the key, never a value', () => {
  assert.throws(
    () => createAuthenticator({ bearer_token_env: 'NOPE_TOKEN' }, {}),
    (e: unknown) => e instanceof ConfigError && /sources\.otlp_http\.auth\.bearer_token_env: environment variable NOPE_TOKEN is not set/.test(e.message),
  );
  assert.throws(() => createAuthenticator({ bearer_token_env: 'T' }, { T: '   ' }), ConfigError);
  const dir = tempDir('auth-');
  writeFileSync(join(dir, 'empty'), '\n');
  assert.throws(
    () => createAuthenticator({ bearer_token_file: join(dir, 'empty') }, {}),
    (e: unknown) => e instanceof ConfigError && /auth\.bearer_token_file: the token file is empty/.test(e.message),
  );
  assert.throws(
    () => createAuthenticator({ bearer_token_file: join(dir, 'gone') }, {}),
    (e: unknown) => e instanceof ConfigError && /auth\.bearer_token_file: cannot read the token file \(ENOENT\)/.test(e.message),
  );
});

test('config validation names the key and never prints a token, even one expanded into the wrong key', () => {
  const yaml = `sources:
  otlp_http:
    auth:
      bearer_token_env: \${OTLP_TOKEN}
`;
  let err: unknown;
  try {
    parseConfig(yaml, 'c.yaml', { OTLP_TOKEN: TOKEN });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError);
  assert.match(err.message, /sources\.otlp_http\.auth\.bearer_token_env.*must be an environment variable name/);
  assert.ok(!err.message.includes(TOKEN), 'the token is not echoed');

  const both = `sources:
  otlp_http:
    auth:
      bearer_token_env: OTLP_TOKEN
      bearer_token_file: /nonexistent/otlp-token
`;
  assert.throws(
    () => parseConfig(both, 'c.yaml', {}),
    (e: unknown) =>
      e instanceof ConfigError &&
      /sources\.otlp_http\.auth\.bearer_token_file.*token file not found: \/nonexistent\/otlp-token/.test(e.message) &&
      /sources\.otlp_http\.auth\.bearer_token_file.*not both/.test(e.message),
  );
  assert.throws(() => parseConfig('sources:\n  otlp_http:\n    auth:\n      bearer_token: abc\n', 'c.yaml', {}), /auth\.bearer_token.*unknown key/);
  const ok = parseConfig('sources:\n  otlp_http:\n    auth:\n      bearer_token_env: OTLP_TOKEN\n', 'c.yaml', {});
  assert.equal(ok.sources.otlp_http.auth.bearer_token_env, 'OTLP_TOKEN');
  assert.deepEqual(parseConfig('{}', 'c.yaml', {}).sources.otlp_http.auth, {}, 'off by default');
});

test('receiver: 401 with WWW-Authenticate when missing or wrong, counted by reason; 200 with the token; token never logged', async () => {
  const body = tracesProtobuf(await spansP);
  const { ctx, lines } = capturingCtx();
  const consumer = new FakeConsumer();
  const receiver = otlpHttpReceiverFactory.create(config({ auth: { bearer_token_env: 'OTLP_TOKEN' } }), consumer, ctx, { env: { OTLP_TOKEN: TOKEN } });
  await receiver.start();
  try {
    const port = receiver.port;
    const missing = await send(port, { headers: PB, body });
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="otlp"');
    assert.equal(decodeStatus(missing.body).code, 16, 'google.rpc UNAUTHENTICATED');

    const wrong = await send(port, { headers: { ...PB, Authorization: `Bearer ${TOKEN}0` }, body });
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.headers['www-authenticate']), /^Bearer .*error="invalid_token"/);

    // Authentication comes before routing and content checks: nothing else leaks.
    const probe = await send(port, { path: '/nope', method: 'GET', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(probe.status, 401);
    assert.equal(consumer.traces.length, 0);

    const ok = await send(port, { headers: { ...PB, Authorization: `Bearer ${TOKEN}` }, body });
    assert.equal(ok.status, 200);
    assert.equal(consumer.traces.length, 1);

    const errs = (reason: string) => ctx.metrics.value('feedback_loop_component_errors_total', { component: 'otlp_http', reason });
    assert.equal(await errs('auth_missing'), 2);
    assert.equal(await errs('auth_invalid'), 1);
    assert.equal(await ctx.metrics.value('feedback_loop_otlp_http_requests_total', { status: '401' }), 3);
  } finally {
    await receiver.shutdown();
  }
  const log = lines.join('');
  assert.match(log, /"auth":"bearer","msg":"otlp_http listening"/);
  assert.match(log, /auth_missing/, 'refusals are logged (rate-limited) by reason');
  assert.ok(!log.includes(TOKEN), 'no log line holds the token or the wrong token sent');
});

test('receiver: a large unauthenticated body is not read past the cap; start fails clearly without the token', async () => {
  const { ctx } = capturingCtx();
  const receiver = otlpHttpReceiverFactory.create(config({ auth: { bearer_token_env: 'OTLP_TOKEN' }, max_request_bytes: 1024 }), new FakeConsumer(), ctx, {
    env: { OTLP_TOKEN: TOKEN },
  });
  await receiver.start();
  try {
    const r = await send(receiver.port, { headers: { ...PB, 'Content-Length': 10_000_000 }, body: new Uint8Array(0) }).catch((e: Error) => e);
    // Either the 401 arrives with Connection: close, or the socket is cut: never a 413 or 200.
    if (!(r instanceof Error)) {
      assert.equal(r.status, 401);
      assert.equal(r.headers['connection'], 'close');
    }
  } finally {
    await receiver.shutdown();
  }
  const noToken = otlpHttpReceiverFactory.create(config({ auth: { bearer_token_env: 'OTLP_TOKEN' } }), new FakeConsumer(), ctx, { env: {} });
  await assert.rejects(noToken.start(), (e: unknown) => e instanceof ConfigError && /bearer_token_env/.test(e.message));
  await noToken.shutdown();
});
