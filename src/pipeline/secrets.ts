import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../telemetry';

/**
 * The HMAC key that makes pseudonyms stable. Production sets it in the
 * environment (the variable named by redact.hmac_key_env). For a first run
 * on a laptop, a random key is generated once and kept in the data directory
 * (mode 0600), so `npm start` works out of the box and pseudonyms stay stable
 * across restarts of that installation; a warning says so.
 */
export async function resolveHmacKey(config: Config, env: NodeJS.ProcessEnv, logger: Logger): Promise<NodeJS.ProcessEnv> {
  const name = config.redact.hmac_key_env;
  if (env[name]) return env;
  const file = join(config.service.data_dir, 'hmac.key');
  let key: string;
  try {
    key = (await readFile(file, 'utf8')).trim();
  } catch {
    await mkdir(config.service.data_dir, { recursive: true });
    key = randomBytes(32).toString('hex');
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' }).catch(async () => {
      key = (await readFile(file, 'utf8')).trim();
    });
  }
  logger.warn({ env: name, file }, `${name} is not set: pseudonyms use a key generated for this data directory; set it in production`);
  return { ...env, [name]: key };
}
