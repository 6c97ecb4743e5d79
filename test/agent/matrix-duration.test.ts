// Fault matrix row: every fault type ended by duration (see support/matrix.ts).
import { defineMatrixRow } from './support/matrix.ts';

defineMatrixRow('duration', 211);
