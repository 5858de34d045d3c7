import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../config/load';
import type { OtlpHttpConfig } from './config';

// Bearer-token authentication for the OTLP receiver. The token is read once,
// at start, and kept only as its SHA-256 digest: comparing digests of equal
// length with timingSafeEqual leaks neither the token's content nor its
// length through timing, and the token itself is never logged or echoed.

const KEY = 'sources.otlp_http.auth';

export type AuthFailure = 'auth_missing' | 'auth_invalid';

export interface Authenticator {
  /** undefined when the request may pass; else why not (a metric label, never the header value). */
  check(authorization: string | undefined): AuthFailure | undefined;
}

const OPEN: Authenticator = { check: () => undefined };

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The header's credentials when it is `Bearer <token>` (scheme case-insensitive, per RFC 6750). */
function bearerCredentials(header: string): string | undefined {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

/**
 * Reads the configured token (environment variable or file) and returns a
 * checker. Throws a ConfigError naming the key when the token cannot be had;
 * the message names the variable or file, never a value.
 */
export function createAuthenticator(auth: OtlpHttpConfig['auth'], env: NodeJS.ProcessEnv): Authenticator {
  let token: string | undefined;
  if (auth.bearer_token_env !== undefined) {
    const v = env[auth.bearer_token_env];
    if (v === undefined || v.trim() === '') {
      throw new ConfigError('<environment>', [
        { path: `${KEY}.bearer_token_env`, message: `environment variable ${auth.bearer_token_env} is not set or empty` },
      ]);
    }
    token = v.trim();
  } else if (auth.bearer_token_file !== undefined) {
    try {
      token = readFileSync(auth.bearer_token_file, 'utf8').trim();
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError(auth.bearer_token_file, [{ path: `${KEY}.bearer_token_file`, message: `cannot read the token file (${why})` }]);
    }
    if (token === '') throw new ConfigError(auth.bearer_token_file, [{ path: `${KEY}.bearer_token_file`, message: 'the token file is empty' }]);
  }
  if (token === undefined) return OPEN;
  const expected = digest(token);
  token = undefined;
  return {
    check(header) {
      if (header === undefined || header === '') return 'auth_missing';
      const given = bearerCredentials(header);
      if (given === undefined) return 'auth_invalid';
      return timingSafeEqual(digest(given), expected) ? undefined : 'auth_invalid';
    },
  };
}

/** True when the config asks for authentication. */
export function authEnabled(auth: OtlpHttpConfig['auth']): boolean {
  return auth.bearer_token_env !== undefined || auth.bearer_token_file !== undefined;
}
