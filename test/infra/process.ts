// Child-process plumbing for the real-component helpers: run a build tool with
// its output in a log file, start a long-running server, wait for it to be
// ready, and make sure nothing outlives the test process.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Last `lines` lines of a log file, for error messages ('' when unreadable). */
export function tailFile(file: string, lines = 40): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      // Only the end matters; broker logs grow to megabytes.
      readSync(fd, buf, 0, len, size - len);
      return buf.toString('utf8').split('\n').slice(-lines).join('\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr go here; its tail is put in the error on failure. */
  logFile: string;
}

/** Runs a command to completion (a build step); rejects with the log tail on a non-zero exit. */
export function runTool(cmd: string, args: string[], opts: RunOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(opts.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    track(child);
    child.once('error', (err) => reject(new Error(`${cmd} could not start: ${err.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}); log ${opts.logFile}:\n${tailFile(opts.logFile)}`,
          ),
        );
    });
  });
}

/** A long-running server started by a helper. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  running(): boolean;
  /** Sends `signal`, then SIGKILL after `graceMs`; resolves once it is gone. Safe to call twice. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
}

export function startProcess(name: string, cmd: string, args: string[], opts: StartOptions): ManagedProcess {
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`${name}: ${cmd} could not be started`);
  track(child);
  let alive = true;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', () => {
      alive = false;
      resolve('spawn-error');
    });
  });
  const pid = child.pid;
  return {
    name,
    pid,
    logFile: opts.logFile,
    exited,
    running: () => alive,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000) {
      if (!alive) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Polls `check` until it returns true. Fails early, with the log tail, if
 * `proc` exits meanwhile; fails with the last check error and the log tail at
 * the deadline.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { proc?: ManagedProcess; timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    if (opts.proc && !opts.proc.running()) {
      const code = await opts.proc.exited;
      throw new Error(`${what}: ${opts.proc.name} exited (${code}) before it was ready; log ${opts.proc.logFile}:\n${tailFile(opts.proc.logFile)}`);
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const log = opts.proc ? `; log ${opts.proc.logFile}:\n${tailFile(opts.proc.logFile)}` : '';
      throw new Error(`${what}: not ready after ${opts.timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ''}${log}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

/** True once `file` contains `text` (for servers that announce readiness in their log). */
export function logContains(file: string, text: string): boolean {
  try {
    return readFileSync(file, 'utf8').includes(text);
  } catch {
    return false;
  }
}

// Every child we start, so that none outlives us: a test file that throws or
// is interrupted must not leave a broker running.
const live = new Set<ChildProcess>();
let hooked = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Only when nobody else handles the signal: then the default would be to
    // die without running 'exit' handlers, orphaning the children.
    if (process.listenerCount(sig) > 0) continue;
    process.once(sig, () => {
      for (const c of live) c.kill('SIGKILL');
      process.kill(process.pid, sig);
    });
  }
}
