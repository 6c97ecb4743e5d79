// Fault matrix row: every fault type ended by trainee (see support/matrix.ts).
import { defineMatrixRow } from './support/matrix.ts';

defineMatrixRow('trainee', 214);
