import type { FaultType } from '@pudu/schema';
import { configFault } from './config.ts';
import { cpuFault } from './cpu.ts';
import { dbConnectionsFault } from './db-connections.ts';
import { diskFault } from './disk.ts';
import { dnsFault } from './dns.ts';
import type { FaultDriver } from './fault.ts';
import { memoryFault } from './memory.ts';
import { networkFault } from './network.ts';
import { processFault } from './process.ts';

/** Every fault type the agent knows; adding one is a new file plus one line here (docs/creating-faults.md). */
export const FAULT_DRIVERS: { [T in FaultType]: FaultDriver<T> } = {
  cpu: cpuFault,
  memory: memoryFault,
  disk: diskFault,
  network: networkFault,
  process: processFault,
  dns: dnsFault,
  'db-connections': dbConnectionsFault,
  config: configFault,
};
