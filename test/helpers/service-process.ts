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
  /** The config file the service runs on, for tests that rewrite it. */
  configFile: string;
  /** startService only: the ports/dirs part of the config, for tests that rewrite the rest. */
  baseYaml?: string;
  otlpUrl: string;
  adminUrl: string;
  outDir: string;
  logFile: string;
  child: ChildProcess;
  pid: number;
  otlpPort: number;
  adminPort: number;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): Promise<number | string>;
  logs(): string;
  /** Polls /readyz until 200; throws with the log tail if the process exits or the time runs out (and then kills it). */
  waitReady(timeoutMs?: number): Promise<void>;
}

export interface SpawnOptions {
  /** Data dir parent (reused across restarts by passing the previous one); a fresh temp dir otherwise. */
  dir?: string;
  /** Prefix of the temp dir when `dir` is not given. */
  prefix?: string;
  env?: NodeJS.ProcessEnv;
  /** Node flags before the CLI, e.g. --cpu-prof (benchmarks). */
  nodeArgs?: string[];
  /** false: resolve once spawned, without waiting for /readyz. */
  waitReady?: boolean;
  readyTimeoutMs?: number;
  /** https:// in otlpUrl (the receiver has tls configured). */
  tls?: boolean;
}

export interface ServicePorts {
  otlp: number;
  admin: number;
  dir: string;
  dataDir: string;
  outDir: string;
}

/**
 * The one way tests and benchmarks run the service: the real CLI as a child
 * process on free loopback ports, with the config `configFor` writes for them.
 * startService, launch (test/telemetry) and startServiceWithConfig (Kafka
 * tests) only differ in the config they write.
 */
export async function spawnService(configFor: (p: ServicePorts) => string, opts: SpawnOptions = {}): Promise<ServiceProcess> {
  const dir = opts.dir ?? tempDir(opts.prefix ?? 'feedback-loop-');
  const otlpPort = await freePort();
  const adminPort = await freePort();
  const configFile = join(dir, `config-${otlpPort}.yaml`);
  writeFileSync(configFile, configFor({ otlp: otlpPort, admin: adminPort, dir, dataDir: join(dir, 'data'), outDir: join(dir, 'out') }));
  const logFile = join(dir, `service-${otlpPort}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, 'start', '--config', configFile], {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, FEEDBACK_LOOP_HMAC_KEY: 'test-hmac-key-0123456789abcdef0123456789', ...opts.env },
  });
  closeSync(fd);
  const exited = new Promise<number | string>((res) => child.once('exit', (code, signal) => res(code ?? signal ?? -1)));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const logs = () => readFileSync(logFile, 'utf8');
  const waitReady = async (timeoutMs = opts.readyTimeoutMs ?? 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const early = await Promise.race([exited.then((c) => `exited: ${c}`), new Promise<string>((r) => setTimeout(() => r(''), 50))]);
      if (early) throw new Error(`service ${early}\n${logs().slice(-3000)}`);
      try {
        if ((await fetch(`${adminUrl}/readyz`)).status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`service did not become ready\n${logs().slice(-3000)}`);
      }
    }
  };
  const sp: ServiceProcess = {
    dir,
    configFile,
    otlpUrl: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${otlpPort}`,
    adminUrl,
    outDir: join(dir, 'out'),
    logFile,
    child,
    pid: child.pid ?? -1,
    otlpPort,
    adminPort,
    exited,
    kill: (signal) => {
      child.kill(signal);
      return exited;
    },
    logs,
    waitReady,
  };
  if (opts.waitReady !== false) await waitReady();
  return sp;
}

/**
 * The service on OTLP/HTTP with the file sink's defaults, `extraYaml`
 * appended after the service, sources and telemetry blocks.
 */
export async function startService(extraYaml: string, opts: { dir?: string; env?: NodeJS.ProcessEnv; logLevel?: string; nodeArgs?: string[] } = {}): Promise<ServiceProcess> {
  let baseYaml = '';
  const sp = await spawnService((p) => {
    baseYaml = `service:
  data_dir: ${p.dataDir}
  shutdown_grace: 20s
sources:
  otlp_http:
    endpoint: 127.0.0.1:${p.otlp}
telemetry:
  log_level: ${opts.logLevel ?? 'info'}
  admin:
    endpoint: 127.0.0.1:${p.admin}
`;
    return baseYaml + extraYaml;
  }, opts);
  sp.baseYaml = baseYaml;
  return sp;
}

export async function post(url: string, body: Uint8Array, contentType: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'Content-Type': contentType, ...headers } });
}
