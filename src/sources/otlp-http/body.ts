import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';

// Reads a request body under two hard caps: bytes on the wire and bytes after
// decompression. Decompression is streamed and counted chunk by chunk, so a
// gzip bomb stops one zlib chunk (16 KiB) past the cap instead of inflating
// in memory first. Nothing here ever sees the body's meaning.

export type BodyFailureReason = 'request_too_large' | 'decompressed_too_large' | 'bad_compression' | 'client_aborted';

export class BodyFailure extends Error {
  constructor(
    readonly reason: BodyFailureReason,
    message: string,
  ) {
    super(message);
  }
}

export type Compression = 'gzip' | 'deflate' | 'identity';

/** Content-Encoding → how to undo it; undefined for codings we do not accept. */
export function parseContentEncoding(header: string | undefined): Compression | undefined {
  if (header === undefined) return 'identity';
  const v = header.trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  if (v === 'deflate') return 'deflate';
  return undefined;
}

export interface BodyLimits {
  maxRequestBytes: number;
  maxDecompressedBytes: number;
}

/**
 * Resolves with the whole (decompressed) body, or rejects with a BodyFailure.
 * On failure the caller answers at once; `discardRest` keeps the connection
 * usable by reading and dropping what the client still sends.
 */
export function readBody(req: IncomingMessage, compression: Compression, limits: BodyLimits): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let raw = 0;
    let decoded = 0;
    let done = false;
    const maxDecoded = limits.maxDecompressedBytes;
    const inflater: Gunzip | Inflate | undefined =
      compression === 'gzip' ? createGunzip() : compression === 'deflate' ? createInflate() : undefined;

    const fail = (f: BodyFailure): void => {
      if (done) return;
      done = true;
      chunks.length = 0;
      req.off('data', onRaw);
      req.off('end', onEnd);
      if (inflater) {
        inflater.removeAllListeners('data');
        inflater.on('error', () => {}); // destroy may still emit; it has been handled
        inflater.destroy();
      }
      reject(f);
    };

    const onDecoded = (chunk: Buffer): void => {
      decoded += chunk.length;
      if (decoded > maxDecoded) {
        fail(new BodyFailure('decompressed_too_large', `body exceeds ${maxDecoded} bytes after decompression`));
        return;
      }
      chunks.push(chunk);
    };

    const onRaw = (chunk: Buffer): void => {
      raw += chunk.length;
      if (raw > limits.maxRequestBytes) {
        fail(new BodyFailure('request_too_large', `body exceeds ${limits.maxRequestBytes} bytes`));
        return;
      }
      if (!inflater) {
        onDecoded(chunk);
        return;
      }
      // Respect zlib's backpressure so its buffers stay small.
      if (!inflater.write(chunk)) {
        req.pause();
        inflater.once('drain', () => {
          if (!done) req.resume();
        });
      }
    };

    const finish = (): void => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, decoded));
    };

    const onEnd = (): void => {
      if (inflater) inflater.end();
      else finish();
    };

    if (inflater) {
      inflater.on('data', onDecoded);
      inflater.on('end', finish);
      inflater.on('error', () => fail(new BodyFailure('bad_compression', `body is not valid ${compression} data`)));
    }
    req.on('data', onRaw);
    req.on('end', onEnd);
    req.on('close', () => {
      if (!req.complete) fail(new BodyFailure('client_aborted', 'client closed the connection before sending the whole body'));
    });
    req.on('error', () => fail(new BodyFailure('client_aborted', 'error reading the request body')));
  });
}

/**
 * After an early answer, read and drop what the client still sends (so it can
 * read the answer and reuse the connection), but only up to `budget` bytes:
 * past that the connection is closed.
 */
export function discardRest(req: IncomingMessage, budget: number): void {
  if (req.complete) return;
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > budget) req.socket.destroy();
  });
  req.resume();
}
