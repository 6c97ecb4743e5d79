export * from './api-error.ts';
export * from './pudu-client.ts';
