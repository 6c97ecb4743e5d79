export * from './driver.ts';
export * from './network/addressing.ts';
export * from './network/index-allocator.ts';
