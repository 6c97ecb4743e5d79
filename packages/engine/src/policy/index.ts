export * from './actor.ts';
export * from './approvals.ts';
export * from './default-policy.ts';
export * from './evaluate-policy.ts';
export * from './parse-policy.ts';
export * from './patterns.ts';
