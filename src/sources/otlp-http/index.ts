export { otlpHttpReceiverFactory, decodeLimitsFor } from './factory';
export { OtlpHttpReceiver, COMPONENT as OTLP_HTTP_TYPE, type ReceiverOptions } from './receiver';
export { createAuthenticator, type Authenticator, type AuthFailure } from './auth';
export { otlpHttpConfigSchema, type OtlpHttpConfig } from './config';
