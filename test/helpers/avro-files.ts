import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as avro from 'avsc';

/** Every finished Avro container file under `dir`, in name order. */
export function avroFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  (function walk(d: string) {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.avro')) out.push(p);
    }
  })(dir);
  return out;
}

/** Reads records with avsc's container-file decoder: a path independent of the writer. */
export async function readAvroDir<T = Record<string, unknown>>(dir: string): Promise<T[]> {
  const records: T[] = [];
  for (const file of avroFiles(dir)) {
    await new Promise<void>((resolve, reject) => {
      avro
        .createFileDecoder(file)
        .on('data', (r: T) => records.push(r))
        .on('end', () => resolve())
        .on('error', reject);
    });
  }
  return records;
}
