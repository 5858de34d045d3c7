// The OTLP codec: decoders for OTLP/protobuf and OTLP/JSON requests (same
// output for the same data), their limits, and the response encoders.
export * from './types';
export { decodeTracesJson, decodeLogsJson } from './json';
export { decodeTracesProto, decodeLogsProto } from './proto';
export { DEFAULT_DECODE_LIMITS, MAX_ANY_VALUE_DEPTH, resolveLimits, type DecodeLimits } from './limits';
export {
  CONTENT_TYPE,
  RPC_CODE,
  encodeExportResponse,
  encodeStatus,
  type OtlpEncoding,
  type PartialSuccess,
} from './response';
