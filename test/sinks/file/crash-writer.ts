// Run as a child process by recovery.test.ts: writes entries through a real
// FileSink, reports its durableSeq on stdout, then waits to be killed with
// SIGKILL — a crash with files open, blocks buffered and descriptors held.
// Usage: node crash-writer.js <directory>

import { FileSink } from '../../../src/sinks/file';
import { config, context } from './helpers';
import { earlyEntries, lateEntries } from './workload';

async function main(): Promise<void> {
  const dir = process.argv[2]!;
  const sink = new FileSink(config(dir, { codec: 'deflate', roll_bytes: '24KiB', fsync: true }), context());
  await sink.start();
  await sink.write(earlyEntries());
  await sink.flush();
  const entries = lateEntries();
  for (let i = 0; i < entries.length; i += 5) await sink.write(entries.slice(i, i + 5));
  process.stdout.write(JSON.stringify({ durableSeq: sink.durableSeq() }) + '\n');
  setInterval(() => undefined, 1000); // stay alive until killed
}

main().catch((err: unknown) => {
  process.stderr.write(String(err) + '\n');
  process.exitCode = 1;
});
