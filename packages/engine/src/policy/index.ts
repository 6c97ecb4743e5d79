export * from './actor.ts';
export * from './approvals.ts';
export * from './default-policy.ts';
export * from './evaluate-policy.ts';
export * from './parse-policy.ts';
export * from './patterns.ts';
export * from './experiment-hash.ts';
export * from './experiment-window.ts';
