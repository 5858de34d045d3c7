import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Temporary directories of a test file, removed when its process exits: state
// stores, service logs, token files and TLS keys do not pile up in /tmp run
// after run. KEEP_TEST_DIRS=1 keeps them for a post-mortem.

const dirs: string[] = [];
let hooked = false;

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      if (process.env.KEEP_TEST_DIRS === '1') return;
      for (const d of dirs) {
        try {
          rmSync(d, { recursive: true, force: true });
        } catch {
          // A child still writing into it: leave it to the OS's tmp cleaning.
        }
      }
    });
  }
  return dir;
}
