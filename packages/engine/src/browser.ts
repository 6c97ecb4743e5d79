/**
 * The engine's browser-safe entry (`@pudu/engine/browser`): the parts the web UI runs
 * itself, with no Node module behind them. The UI shows the same score the engine computes.
 */
export { scoreRun, type ScoreBreakdown } from './score.ts';
