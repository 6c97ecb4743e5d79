/**
 * API bodies of the learning loop: terminal recordings, the commands reconstructed from
 * them, metric history, the post-mortem report and its notes, game days and webhooks.
 */
import { z } from 'zod';

/** Served as `application/x-asciicast` (asciicast v2, one JSON value per line). */
export const ASCIICAST_CONTENT_TYPE = 'application/x-asciicast';

export const RecordingInfoSchema = z.object({
  /** The terminal session's id (also its recording's). */
  id: z.string(),
  runId: z.string(),
  vm: z.string(),
  /** Who opened the session: `name (token id)`, and their role. */
  openedBy: z.string(),
  role: z.string(),
  startedAt: z.string(),
  /** null while the session is live. */
  endedAt: z.string().nullable(),
  /** Bytes of asciicast stored (header included). */
  bytes: z.number().int(),
  /** The run's recording budget ran out: later output and input were not kept. */
  truncated: z.boolean(),
});
export type RecordingInfo = z.infer<typeof RecordingInfoSchema>;
export const RecordingListSchema = z.object({
  recordings: z.array(RecordingInfoSchema),
  /** The per-run budget (bytes) and how much of it is used. */
  budgetBytes: z.number().int(),
  usedBytes: z.number().int(),
});
export const RecordingParamsSchema = z.object({ id: z.string().min(1).max(64), session: z.string().min(1).max(64) });

export const CommandSchema = z.object({
  /** Wall-clock time the command was entered (Enter pressed). */
  at: z.string(),
  /** Milliseconds on the run's clock (null when the run had not started). */
  runMs: z.number().nullable(),
  session: z.string(),
  vm: z.string(),
  /** The host the prompt named (it differs from vm after `ssh` to another VM). */
  host: z.string().nullable(),
  command: z.string(),
  /**
   * `prompt`: typed at a recognised shell prompt; `program`: typed into a program (an
   * editor, a pager, a password prompt), not a shell command; `unknown`: no prompt was seen.
   */
  context: z.enum(['prompt', 'program', 'unknown']),
  /** The first lines the command printed (as the screen showed them). */
  output: z.array(z.string()),
});
export type ReconstructedCommand = z.infer<typeof CommandSchema>;
export const CommandListSchema = z.object({
  commands: z.array(CommandSchema),
  /** What the reconstruction cannot know, stated plainly for the report. */
  caveats: z.array(z.string()),
});
