export * from './compiled-scenario.ts';
export * from './compile-scenario.ts';
export * from './parse-scenario.ts';
export * from './scenario-issue.ts';
export * from './score.ts';
export * from './random.ts';
export * from './select-targets.ts';
export { evaluateCondition, parseCondition } from '@pudu/schema';
export * from './hints.ts';
