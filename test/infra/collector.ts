// A real OpenTelemetry Collector for tests: a minimal distribution built with
// the collector builder (ocb) from test/infra/collector/builder-config.yaml,
// cached by a hash of that manifest.
//
//   const col = await startDeployableCollector({ kafkaBrokers: kafka.brokers });
//   ... send OTLP/HTTP to col.otlpHttpEndpoint ...
//   await col.stop();
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { cachePath, withCacheLock } from './cache';
import { freePort, logContains, runTool, startProcess, waitUntil } from './process';

/** The builder release; matches the component versions in builder-config.yaml. */
export const BUILDER_VERSION = 'v0.158.0';

const REPO_ROOT = join(__dirname, '..', '..', '..');
export const BUILDER_MANIFEST = join(REPO_ROOT, 'test', 'infra', 'collector', 'builder-config.yaml');
/** The deployable collector config at the top of the repository. */
export const DEPLOYABLE_CONFIG = join(REPO_ROOT, 'otel-collector.yaml');

const DIST_NAME = 'otelcol-feedback-loop';

/** Go's build environment, kept entirely inside the cache. */
function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOPATH: cachePath('go', 'path'),
    GOMODCACHE: cachePath('go', 'mod'),
    GOCACHE: cachePath('go', 'build'),
    // Never fetch another Go toolchain; build with the one installed.
    GOTOOLCHAIN: 'local',
  };
}

function goVersion(): string {
  const r = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`go is needed to build the test collector: ${r.error?.message ?? r.stderr}`);
  return r.stdout.trim();
}

async function prepareBuilder(): Promise<string> {
  const bin = join(cachePath('go', 'builder', BUILDER_VERSION), 'builder');
  if (existsSync(bin)) return bin;
  await runTool('go', ['install', `go.opentelemetry.io/collector/cmd/builder@${BUILDER_VERSION}`], {
    env: { ...goEnv(), GOBIN: cachePath('go', 'builder', BUILDER_VERSION) },
    logFile: join(cachePath('go', 'builder'), `install-${BUILDER_VERSION}.log`),
  });
  return bin;
}

/**
 * Builds the collector (once per manifest, Go version and builder version) and
 * returns the binary's path. A cold build downloads the Go modules and
 * compiles for a few minutes; a warm call returns at once.
 */
export async function prepareCollector(): Promise<string> {
  const manifest = readFileSync(BUILDER_MANIFEST, 'utf8');
  const gover = goVersion();
  const key = createHash('sha256').update(`${BUILDER_VERSION}\n${gover}\n${manifest}`).digest('hex').slice(0, 16);
  const dir = cachePath('collector', key);
  const binary = join(dir, DIST_NAME);
  if (existsSync(binary)) return binary;
  return withCacheLock(`collector-${key}`, async () => {
    if (existsSync(binary)) return binary;
    const builder = await prepareBuilder();
    // The builder writes sources and the binary into dist.output_path; point it
    // into the cache rather than the repository.
    const doc = parse(manifest) as { dist: { output_path?: string; name?: string } };
    const src = join(dir, 'src');
    rmSync(src, { recursive: true, force: true });
    doc.dist.output_path = src;
    doc.dist.name = DIST_NAME;
    const resolved = join(dir, 'builder-config.resolved.yaml');
    writeFileSync(resolved, stringify(doc));
    await runTool(builder, ['--config', resolved], { env: goEnv(), cwd: dir, logFile: join(dir, 'build.log') });
    // Rename last, so a killed build never leaves a binary that looks complete.
    renameSync(join(src, DIST_NAME), binary);
    writeFileSync(join(dir, 'go-version'), `${gover}\n`);
    return binary;
  });
}

export interface CollectorOptions {
  /** A collector config file. One of configPath / configYaml is needed. */
  configPath?: string;
  /** A collector config as YAML text (written to the temp dir). */
  configYaml?: string;
  /** Extra environment for `${env:...}` references in the config. */
  env?: Record<string, string>;
  /** Also wait until this URL answers 200 (e.g. the health_check extension). */
  readyUrl?: string;
  /** Default 60 s. */
  startTimeoutMs?: number;
}

export interface Collector {
  readonly pid: number;
  readonly configPath: string;
  /** Temp dir with the collector's log (collector.log). */
  readonly dir: string;
  readonly logFile: string;
  /** SIGTERM (the collector flushes and shuts down), SIGKILL after 15 s; removes the temp dir. */
  stop(): Promise<void>;
}

// The collector logs this once every pipeline has started.
const READY_LINE = 'Everything is ready. Begin running and processing data.';

export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const binary = await prepareCollector();
  const dir = mkdtempSync(join(tmpdir(), 'feedback-loop-otelcol-'));
  let configPath = options.configPath;
  if (!configPath) {
    if (options.configYaml === undefined) throw new Error('startCollector: configPath or configYaml is required');
    configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, options.configYaml);
  }
  const logFile = join(dir, 'collector.log');
  const proc = startProcess('otelcol', binary, ['--config', configPath], {
    env: { ...process.env, ...options.env },
    logFile,
  });
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const stop = async () => {
    await proc.stop('SIGTERM', 15_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('otel collector', async () => logContains(logFile, READY_LINE), { proc, timeoutMs });
    const readyUrl = options.readyUrl;
    if (readyUrl) {
      await waitUntil(`otel collector ${readyUrl}`, async () => (await fetch(readyUrl)).status === 200, { proc, timeoutMs });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: proc.pid, configPath, dir, logFile, stop };
}

export interface DeployableCollectorOptions {
  /** Where the kafka exporter writes (KAFKA_BROKERS). */
  kafkaBrokers: string[];
  /** Topic overrides (default otlp_spans / otlp_logs, as deployed). */
  spansTopic?: string;
  logsTopic?: string;
  /** More `${env:...}` values for otel-collector.yaml. */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export interface DeployableCollector extends Collector {
  /** Base URL of the OTLP/HTTP receiver: POST `${otlpHttpEndpoint}/v1/traces`. */
  readonly otlpHttpEndpoint: string;
  /** host:port of the OTLP/gRPC receiver. */
  readonly otlpGrpcEndpoint: string;
  /** URL of the health_check extension. */
  readonly healthEndpoint: string;
  readonly spansTopic: string;
  readonly logsTopic: string;
}

/**
 * Runs the real collector with exactly the repository's `otel-collector.yaml`,
 * every listener moved to a free loopback port through the `${env:...}`
 * variables that file reads.
 */
export async function startDeployableCollector(options: DeployableCollectorOptions): Promise<DeployableCollector> {
  const [grpc, http, health, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const spansTopic = options.spansTopic ?? 'otlp_spans';
  const logsTopic = options.logsTopic ?? 'otlp_logs';
  const healthEndpoint = `http://127.0.0.1:${health}/`;
  const col = await startCollector({
    configPath: DEPLOYABLE_CONFIG,
    env: {
      OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
      OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
      OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
      OTELCOL_METRICS_HOST: '127.0.0.1',
      OTELCOL_METRICS_PORT: String(metrics),
      KAFKA_BROKERS: options.kafkaBrokers.join(','),
      KAFKA_SPANS_TOPIC: spansTopic,
      KAFKA_LOGS_TOPIC: logsTopic,
      ...options.env,
    },
    readyUrl: healthEndpoint,
    startTimeoutMs: options.startTimeoutMs,
  });
  return {
    ...col,
    otlpHttpEndpoint: `http://127.0.0.1:${http}`,
    otlpGrpcEndpoint: `127.0.0.1:${grpc}`,
    healthEndpoint,
    spansTopic,
    logsTopic,
  };
}
