import { readFileSync } from 'node:fs';
import { spawnService, type ServiceProcess } from '../helpers/service-process';

// startService (test/helpers/service-process.ts) with keys under
// sources.otlp_http (auth, tls, limits), sinks.file and telemetry: startService
// appends its extra YAML after a complete otlp_http block, where a second
// `sources:` key would be a duplicate. Can return before the service is ready.

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

export type Launched = ServiceProcess;

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => by + l)
    .join('\n');

export function launch(opts: LaunchOptions = {}): Promise<Launched> {
  return spawnService(
    (p) => `service:
  data_dir: ${p.dataDir}
  shutdown_grace: ${opts.shutdownGrace ?? '20s'}
sources:
  otlp_http:
    endpoint: 127.0.0.1:${p.otlp}
${opts.otlpHttp ? indent(opts.otlpHttp, '    ') : ''}
sinks:
  file:
    directory: ${p.outDir}
${opts.fileSink ? indent(opts.fileSink, '    ') : ''}
telemetry:
  log_level: info
  admin:
    endpoint: 127.0.0.1:${p.admin}
${opts.telemetry ? indent(opts.telemetry, '  ') : ''}
${opts.extraYaml ?? ''}`,
    { dir: opts.dir, prefix: 'feedback-loop-ops-', env: opts.env, waitReady: !opts.noWait, tls: opts.tls },
  );
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
