// Fault matrix row: every fault type ended by restart (see support/matrix.ts).
import { defineMatrixRow } from './support/matrix.ts';

defineMatrixRow('restart', 212);
