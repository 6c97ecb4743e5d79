// Fault matrix row: every fault type ended by stop (see support/matrix.ts).
import { defineMatrixRow } from './support/matrix.ts';

defineMatrixRow('stop', 210);
