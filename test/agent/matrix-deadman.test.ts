// Fault matrix row: every fault type ended by deadman (see support/matrix.ts).
import { defineMatrixRow } from './support/matrix.ts';

defineMatrixRow('deadman', 213);
