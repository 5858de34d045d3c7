export { otlpHttpReceiverFactory, decodeLimitsFor } from './factory';
export { OtlpHttpReceiver, COMPONENT as OTLP_HTTP_TYPE } from './receiver';
export { otlpHttpConfigSchema, type OtlpHttpConfig } from './config';
