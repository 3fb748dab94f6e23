export * from './errors';
export * from './envelope';
export * from './methods';
export * from './notifications';
export * from './admin';
export * from './validate';
export * as mediaSchemas from './media-schemas';
