export * from './schemas';
export * from './convert';
export * from './single-object';
export type * from './records';
export { crc64Avro, fingerprintBytes } from './fingerprint';
