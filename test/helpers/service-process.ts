import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { tempDir } from './tmp';

const CLI = resolve(__dirname, '../../src/cli/main.js');

/** A free loopback port (bound then released: good enough for tests on one machine). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface ServiceProcess {
  dir: string;
  /** The config file the service runs on, and its ports/dirs part, for tests that rewrite it. */
  configFile?: string;
  baseYaml?: string;
  otlpUrl: string;
  adminUrl: string;
  outDir: string;
  logFile: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): Promise<number | string>;
  logs(): string;
}

/**
 * Runs the real CLI as a child process on a temp data dir, with `extraYaml`
 * appended to a config that points every port at a free loopback port.
 */
export async function startService(extraYaml: string, opts: { dir?: string; env?: NodeJS.ProcessEnv; logLevel?: string; nodeArgs?: string[] } = {}): Promise<ServiceProcess> {
  const dir = opts.dir ?? tempDir('feedback-loop-');
  const otlpPort = await freePort();
  const adminPort = await freePort();
  const baseYaml = `service:
  data_dir: ${join(dir, 'data')}
  shutdown_grace: 20s
sources:
  otlp_http:
    endpoint: 127.0.0.1:${otlpPort}
telemetry:
  log_level: ${opts.logLevel ?? 'info'}
  admin:
    endpoint: 127.0.0.1:${adminPort}
`;
  const config = baseYaml + extraYaml;
  const configFile = join(dir, `config-${otlpPort}.yaml`);
  writeFileSync(configFile, config);
  const logFile = join(dir, `service-${otlpPort}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, 'start', '--config', configFile], {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, FEEDBACK_LOOP_HMAC_KEY: 'test-hmac-key-0123456789abcdef0123456789', ...opts.env },
  });
  closeSync(fd);
  const exited = new Promise<number | string>((res) => child.once('exit', (code, signal) => res(code ?? signal ?? -1)));
  const sp: ServiceProcess = {
    dir,
    configFile,
    baseYaml,
    otlpUrl: `http://127.0.0.1:${otlpPort}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    outDir: join(dir, 'out'),
    logFile,
    child,
    exited,
    kill: (signal) => {
      child.kill(signal);
      return exited;
    },
    logs: () => readFileSync(logFile, 'utf8'),
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const early = await Promise.race([exited.then((c) => `exited: ${c}`), new Promise<string>((r) => setTimeout(() => r(''), 100))]);
    if (early) throw new Error(`service ${early}\n${sp.logs().slice(-3000)}`);
    try {
      const r = await fetch(`${sp.adminUrl}/readyz`);
      if (r.status === 200) return sp;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service did not become ready\n${sp.logs().slice(-3000)}`);
    }
  }
}

export async function post(url: string, body: Uint8Array, contentType: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'Content-Type': contentType, ...headers } });
}
