// The download/build cache shared by every real-component helper, and the lock
// that keeps two test processes (node --test runs files in parallel) from
// downloading or building the same thing at once.
import { mkdirSync, openSync, closeSync, writeSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Root of everything downloaded or built: `$FEEDBACK_LOOP_CACHE` or `~/.cache/otel-feedback-loop`. */
export function cacheDir(): string {
  const dir = process.env.FEEDBACK_LOOP_CACHE || join(homedir(), '.cache', 'otel-feedback-loop');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A sub-folder of the cache, created on demand. */
export function cachePath(...parts: string[]): string {
  const p = join(cacheDir(), ...parts);
  mkdirSync(p, { recursive: true });
  return p;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM means it exists but belongs to someone else: still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` while holding `<cache>/locks/<name>.lock`. The lock file holds the
 * owner's pid, so a lock left by a killed process is taken over instead of
 * blocking every later run. Callers re-check "is it already there?" inside
 * `fn`, since another process may have finished the work while we waited.
 */
export async function withCacheLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 30 * 60_000): Promise<T> {
  const file = join(cachePath('locks'), `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(readFileSync(file, 'utf8').trim());
      } catch {
        continue; // removed between our open and read: try again at once
      }
      // An empty file is a lock being written right now; give it a moment.
      const young = Date.now() - safeMtime(file) < 5_000;
      if (!(Number.isInteger(owner) && owner > 0 ? pidAlive(owner) : young)) {
        rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for cache lock ${file} held by pid ${owner}`);
      if (!announced) {
        process.stderr.write(`[infra] waiting for ${name}: another process (pid ${owner}) is preparing it\n`);
        announced = true;
      }
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}

function safeMtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
