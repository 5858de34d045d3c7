import { readFileSync } from 'node:fs';
import type { ServerOptions as HttpsOptions } from 'node:https';
import { ConfigError } from '../../config/load';
import type { OtlpHttpConfig } from './config';

// TLS for the receiver. Files are read once at start; a file that cannot be
// read (or is not PEM) is a ConfigError naming its key, so the CLI prints it
// the same way as a validation problem.

const KEY = 'sources.otlp_http.tls';

type TlsConfig = NonNullable<OtlpHttpConfig['tls']>;

function readPem(file: string, key: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(file, [{ path: `${KEY}.${key}`, message: `cannot read ${file} (${why})` }]);
  }
  if (!pem.includes('-----BEGIN ')) {
    throw new ConfigError(file, [{ path: `${KEY}.${key}`, message: `${file} is not a PEM file` }]);
  }
  return pem;
}

/** node:https server options for the config; with a client CA, clients must present a certificate it signed. */
export function tlsServerOptions(tls: TlsConfig): HttpsOptions {
  const options: HttpsOptions = {
    cert: readPem(tls.cert_file, 'cert_file'),
    key: readPem(tls.key_file, 'key_file'),
    minVersion: 'TLSv1.2',
  };
  if (tls.client_ca_file !== undefined) {
    options.ca = readPem(tls.client_ca_file, 'client_ca_file');
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  return options;
}
