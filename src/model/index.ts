export * from './interaction';
export * from './feedback';
export * from './record';
export * from './outputs';
