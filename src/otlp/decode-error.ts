import { ERROR_CODES, PermanentError, type ErrorCode } from '../pipeline/errors';

// Decoders report where input went wrong ("resourceSpans[0].scopeSpans[1].spans[2].traceId")
// without paying for it on the happy path: the error is thrown bare, each
// enclosing level adds its own segment while the error unwinds, and the entry
// point turns it into the public PermanentError.

const MAX_PATH_SEGMENTS = 16;
const PATH_HEAD = 8;
const PATH_TAIL = 6;

/** Internal to the decoders; never escapes them. */
export class DecodeFailure extends Error {
  readonly segments: string[] = [];
  constructor(
    readonly code: ErrorCode,
    readonly reason: string,
    /** Byte offset in a protobuf body, -1 if not applicable. */
    readonly offset = -1,
  ) {
    super(reason);
  }
}

export function malformed(reason: string, offset = -1): DecodeFailure {
  return new DecodeFailure(ERROR_CODES.OTLP_DECODE, reason, offset);
}

export function overLimit(what: string, limit: number, offset = -1): DecodeFailure {
  return new DecodeFailure(ERROR_CODES.OTLP_LIMIT, `${what} exceeds the limit of ${limit}`, offset);
}

/** Adds a path segment to a DecodeFailure on its way out; returns anything else untouched. */
export function at(e: unknown, segment: string): unknown {
  if (e instanceof DecodeFailure) e.segments.push(segment);
  return e;
}

/** At the decoder's entry point: DecodeFailure → PermanentError with the path; other errors untouched (they are bugs). */
export function toPermanent(e: unknown, format: string): unknown {
  if (!(e instanceof DecodeFailure)) return e;
  // Segments were pushed innermost first. Deep nesting would make the path
  // huge, so keep its outer and inner ends.
  const segs = e.segments;
  let where = '';
  for (let i = segs.length - 1; i >= 0; i--) {
    if (segs.length > MAX_PATH_SEGMENTS && i === segs.length - 1 - PATH_HEAD) {
      const skipped = segs.length - PATH_HEAD - PATH_TAIL;
      where += `.…${skipped} more…`;
      i -= skipped - 1;
      continue;
    }
    const seg = segs[i]!;
    where += where === '' || seg[0] === '[' ? seg : `.${seg}`;
  }
  const byte = e.offset >= 0 ? ` (byte ${e.offset})` : '';
  return new PermanentError(e.code, `${format}: ${e.reason}${where ? ` at ${where}` : ''}${byte}`);
}
