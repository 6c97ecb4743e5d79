export * from './errors.ts';
export * from './units.ts';
export * from './scenario-spec.ts';
export * from './api.ts';
export * from './api-routes.ts';
export * from './api-openapi.ts';
export * from './scenario-json-schema.ts';
export * from './agent-protocol.ts';
