// A real schema registry with the Confluent-compatible REST API, for tests:
// Apicurio Registry, augmented from its Maven Central jars by
// test/infra/registry/pom.xml (see there for why), in-memory storage.
//
//   const reg = await startSchemaRegistry();
//   fetch(`${reg.url}/subjects/my-topic-value/versions`, ...)   // Confluent API
//   await reg.stop();
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachePath, withCacheLock } from './cache';
import { freePort, runTool, startProcess, waitUntil } from './process';

/** Kept in step with `apicurio.version` in test/infra/registry/pom.xml. */
export const APICURIO_VERSION = '2.4.2.Final';

const REGISTRY_DIR = join(__dirname, '..', '..', '..', 'test', 'infra', 'registry');
const POM = join(REGISTRY_DIR, 'pom.xml');
const APP_PROPERTIES = join(REGISTRY_DIR, 'src', 'main', 'resources', 'application.properties');

/**
 * Builds the runnable registry (once per pom and config) and returns the path
 * of its `quarkus-run.jar`.
 */
export async function prepareSchemaRegistry(): Promise<string> {
  const key = createHash('sha256').update(readFileSync(POM)).update(readFileSync(APP_PROPERTIES)).digest('hex').slice(0, 16);
  const root = cachePath('registry', `${APICURIO_VERSION}-${key}`);
  const app = join(root, 'quarkus-app');
  const jar = join(app, 'quarkus-run.jar');
  if (existsSync(jar)) return jar;
  return withCacheLock(`registry-${key}`, async () => {
    if (existsSync(jar)) return jar;
    const out = join(root, `build.tmp-${process.pid}`);
    rmSync(out, { recursive: true, force: true });
    await runTool('mvn', ['-q', '-B', '-f', POM, `-Dmaven.repo.local=${cachePath('m2')}`, `-Dregistry.out=${out}`, 'package'], {
      logFile: join(root, 'build.log'),
    });
    // Move the finished application into place last: a killed build never looks complete.
    rmSync(app, { recursive: true, force: true });
    renameSync(join(out, 'quarkus-app'), app);
    rmSync(out, { recursive: true, force: true });
    return jar;
  });
}

export interface SchemaRegistryOptions {
  /** Listen port on 127.0.0.1; default a free one. */
  port?: number;
  /** Java heap (default 384m). */
  heap?: string;
  /** Default 120 s. */
  startTimeoutMs?: number;
}

export interface SchemaRegistry {
  /** Base URL of the Confluent-compatible API, e.g. `http://127.0.0.1:<port>/apis/ccompat/v7`. */
  readonly url: string;
  /** Base URL of the server (Apicurio's own API lives under /apis/registry/v2). */
  readonly baseUrl: string;
  readonly port: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

export async function startSchemaRegistry(options: SchemaRegistryOptions = {}): Promise<SchemaRegistry> {
  const jar = await prepareSchemaRegistry();
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'feedback-loop-registry-'));
  const logFile = join(dir, 'registry.log');
  const proc = startProcess(
    'schema-registry',
    'java',
    [
      `-Xmx${options.heap ?? '384m'}`,
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Djava.awt.headless=true',
      '-Dquarkus.http.host=127.0.0.1',
      `-Dquarkus.http.port=${port}`,
      // The H2 database lives in memory; its file-less URL keeps the temp dir clean.
      '-jar',
      jar,
    ],
    { cwd: dir, logFile },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const url = `${baseUrl}/apis/ccompat/v7`;
  const stop = async () => {
    await proc.stop('SIGTERM', 15_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('schema registry', async () => (await fetch(`${url}/subjects`)).status === 200, {
      proc,
      timeoutMs: options.startTimeoutMs ?? 120_000,
      intervalMs: 300,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, baseUrl, port, logFile, stop };
}
