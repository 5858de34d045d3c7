export * from './clock';
export * from './logger';
export * from './metrics';
