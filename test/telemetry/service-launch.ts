import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../helpers/service-process';
import { tempDir } from '../helpers/tmp';

// Like startService (test/helpers/service-process.ts), but the caller can add
// keys under sources.otlp_http (auth, tls, limits) — startService appends its
// extra YAML after a complete otlp_http block, where a second `sources:` key
// would be a duplicate — and can watch the process before it is ready.

const CLI = resolve(__dirname, '../../src/cli/main.js');

export interface LaunchOptions {
  /** YAML lines placed under `sources.otlp_http:` (unindented; indented here). */
  otlpHttp?: string;
  /** Top-level YAML appended (must not repeat service, sources, sinks or telemetry). */
  extraYaml?: string;
  /** YAML lines under `sinks.file:` (unindented), e.g. roll_interval. */
  fileSink?: string;
  /** YAML lines under `telemetry:` (unindented). */
  telemetry?: string;
  env?: NodeJS.ProcessEnv;
  dir?: string;
  /** Resolve as soon as the process is spawned, without waiting for /readyz. */
  noWait?: boolean;
  /** https:// for the OTLP URL (the receiver has tls configured). */
  tls?: boolean;
  shutdownGrace?: string;
}

export interface Launched {
  dir: string;
  configFile: string;
  otlpUrl: string;
  adminUrl: string;
  outDir: string;
  logFile: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): Promise<number | string>;
  logs(): string;
  pid: number;
  otlpPort: number;
  adminPort: number;
  waitReady(timeoutMs?: number): Promise<void>;
}

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => by + l)
    .join('\n');

export async function launch(opts: LaunchOptions = {}): Promise<Launched> {
  const dir = opts.dir ?? tempDir('feedback-loop-ops-');
  const otlpPort = await freePort();
  const adminPort = await freePort();
  const config = `service:
  data_dir: ${join(dir, 'data')}
  shutdown_grace: ${opts.shutdownGrace ?? '20s'}
sources:
  otlp_http:
    endpoint: 127.0.0.1:${otlpPort}
${opts.otlpHttp ? indent(opts.otlpHttp, '    ') : ''}
sinks:
  file:
    directory: ${join(dir, 'out')}
${opts.fileSink ? indent(opts.fileSink, '    ') : ''}
telemetry:
  log_level: info
  admin:
    endpoint: 127.0.0.1:${adminPort}
${opts.telemetry ? indent(opts.telemetry, '  ') : ''}
${opts.extraYaml ?? ''}`;
  const configFile = join(dir, `config-${otlpPort}.yaml`);
  writeFileSync(configFile, config);
  const logFile = join(dir, `service-${otlpPort}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [CLI, 'start', '--config', configFile], {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, FEEDBACK_LOOP_HMAC_KEY: 'test-hmac-key-0123456789abcdef0123456789', ...opts.env },
  });
  closeSync(fd);
  const exited = new Promise<number | string>((res) => child.once('exit', (code, signal) => res(code ?? signal ?? -1)));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const logs = () => readFileSync(logFile, 'utf8');
  const waitReady = async (timeoutMs = 20_000): Promise<void> => {
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
  const sp: Launched = {
    dir,
    configFile,
    otlpUrl: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${otlpPort}`,
    adminUrl,
    outDir: join(dir, 'out'),
    logFile,
    child,
    exited,
    kill: (signal) => {
      child.kill(signal);
      return exited;
    },
    logs,
    pid: child.pid ?? -1,
    otlpPort,
    adminPort,
    waitReady,
  };
  if (!opts.noWait) await waitReady();
  return sp;
}

/** Resident set size of a process in bytes (Linux /proc), or NaN when it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Samples a process's RSS every `everyMs` and keeps the peak. */
export class RssWatcher {
  peak = 0;
  samples = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    everyMs = 20,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  sample(): number {
    const v = rssBytes(this.pid);
    if (Number.isFinite(v)) {
      this.samples++;
      if (v > this.peak) this.peak = v;
    }
    return v;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}
