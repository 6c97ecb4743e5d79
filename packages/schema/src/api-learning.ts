/**
 * API bodies of the learning loop: terminal recordings, the commands reconstructed from
 * them, metric history, the post-mortem report and its notes, game days and webhooks.
 */
import { z } from 'zod';
import { ScoreSchema } from './api.ts';

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

export const MetricSampleSchema = z.object({
  /** Milliseconds on the run's clock. */
  tMs: z.number(),
  cpuPct: z.number(),
  memUsedPct: z.number(),
  diskUsedPct: z.number(),
  diskFreeMb: z.number(),
  loadAvg1: z.number(),
});
export type MetricSample = z.infer<typeof MetricSampleSchema>;

/** Something that happened, drawn on charts and timelines (faults only for staff, or after the run). */
export const TimelineMarkerSchema = z.object({
  tMs: z.number(),
  kind: z.enum(['fault', 'fault-end', 'alert', 'hint', 'objective-passed', 'objective-failing', 'keyboard', 'resolved', 'ended']),
  label: z.string(),
  vm: z.string().nullable(),
});
export type TimelineMarker = z.infer<typeof TimelineMarkerSchema>;

export const MetricHistorySchema = z.object({
  /** Sampling period while the run was live. */
  sampleMs: z.number().int(),
  /** True once the run ended: each VM then keeps at most 600 points (averages of equal spans). */
  downsampled: z.boolean(),
  vms: z.array(z.object({ vm: z.string(), samples: z.array(MetricSampleSchema) })),
  markers: z.array(TimelineMarkerSchema),
});
export type MetricHistory = z.infer<typeof MetricHistorySchema>;

const NOTE_MAX = 20_000;
export const InstructorNotesSchema = z.strictObject({
  feedback: z.string().max(NOTE_MAX).default(''),
  actionItems: z.array(z.string().min(1).max(500)).max(50).default([]),
  runbookLinks: z.array(z.url({ protocol: /^https?$/ }).max(500)).max(50).default([]),
});
export const RunNotesSchema = z.object({
  /** The responder's own account: what they saw, what they tried. */
  trainee: z.string(),
  instructor: InstructorNotesSchema,
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
});
export type RunNotes = z.infer<typeof RunNotesSchema>;
/** A trainee may write only `trainee`; staff only `instructor`. Either part replaces what was there. */
export const RunNotesUpdateSchema = z.strictObject({
  trainee: z.string().max(NOTE_MAX).optional(),
  instructor: InstructorNotesSchema.optional(),
}).refine((b) => b.trainee !== undefined || b.instructor !== undefined, { message: 'send trainee or instructor notes' });

export type RunNotesUpdate = z.input<typeof RunNotesUpdateSchema>;

export const ReportFormatSchema = z.enum(['json', 'markdown', 'html']);
export const ReportQuerySchema = z.object({ format: ReportFormatSchema.default('json') });

export const ReportSchema = z.object({
  generatedAt: z.string(),
  run: z.object({
    id: z.string(), scenarioId: z.string(), title: z.string(), difficulty: z.string(), description: z.string(), symptoms: z.array(z.string()),
    state: z.string(), seed: z.number().int(), startedAt: z.string().nullable(), endedAt: z.string().nullable(),
    elapsedMs: z.number(), timeLimitMs: z.number(), error: z.string().nullable(),
  }),
  /** One sentence on how the exercise ended, in blameless words. */
  verdict: z.string(),
  score: ScoreSchema.nullable(),
  /** Run-clock milliseconds; null when it did not happen. */
  timings: z.object({ detectMs: z.number().nullable(), mitigateMs: z.number().nullable(), resolveMs: z.number().nullable() }),
  faults: z.array(z.object({ id: z.string(), type: z.string(), vm: z.string(), appliedMs: z.number().nullable(), revertedMs: z.number().nullable(), state: z.string() })),
  alerts: z.array(z.object({ name: z.string(), severity: z.string(), message: z.string(), firedMs: z.number().nullable() })),
  objectives: z.array(z.object({ id: z.string(), description: z.string(), passing: z.boolean(), detail: z.string() })),
  /** What happened, in order: system events and the responder's commands, hints and notes. */
  timeline: z.array(z.object({ tMs: z.number(), who: z.enum(['system', 'responder', 'instructor']), kind: z.string(), text: z.string() })),
  commands: z.array(CommandSchema),
  caveats: z.array(z.string()),
  integrity: z.array(z.object({ tMs: z.number(), kind: z.string(), text: z.string() })),
  history: MetricHistorySchema,
  recordings: z.array(RecordingInfoSchema),
  notes: RunNotesSchema,
});
export type Report = z.infer<typeof ReportSchema>;

export const RunDeletedSchema = z.object({ id: z.string(), deleted: z.literal(true), recordings: z.number().int() });

/** Run and game-day events a webhook can ask for (`*` for all). */
export const WEBHOOK_EVENT_KINDS = ['run.started', 'run.resolved', 'run.aborted', 'run.expired', 'run.failed', 'gameday.started', 'gameday.finished', 'halt.engaged'] as const;
export const WebhookCreateSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  events: z.array(z.enum([...WEBHOOK_EVENT_KINDS, '*'])).min(1).default(['*']),
  /** HMAC-SHA256 key; receivers check `x-pudu-signature`. Never shown again. */
  secret: z.string().min(16).max(200),
});
export type WebhookCreate = z.input<typeof WebhookCreateSchema>;
export const WebhookSchema = z.object({ id: z.string(), url: z.string(), events: z.array(z.string()), source: z.enum(['config', 'api']), createdAt: z.string() });
export type Webhook = z.infer<typeof WebhookSchema>;
export const WebhookDeliverySchema = z.object({
  id: z.string(), webhookId: z.string(), url: z.string(), kind: z.string(), runId: z.string().nullable(),
  state: z.enum(['pending', 'delivered', 'failed']), attempts: z.number().int(), lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(), createdAt: z.string(), updatedAt: z.string(),
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;
export const WebhookListSchema = z.object({ webhooks: z.array(WebhookSchema), deliveries: z.array(WebhookDeliverySchema) });

export const GameDayTraineeInputSchema = z.strictObject({ name: z.string().min(1).max(80) });
export const GameDayCreateSchema = z.strictObject({
  name: z.string().min(1).max(120),
  /** A library scenario (`monolith/disk-full`); every trainee gets the same one, with the same seed. */
  scenario: z.string().min(1).max(200),
  /** Omitted: one is drawn now and used for everyone, so the incidents are comparable. */
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  /** `together`: the instructor starts everyone at once; `self-paced`: each starts when they open their invite, within the window. */
  mode: z.enum(['together', 'self-paced']).default('together'),
  opensAt: z.iso.datetime().optional(),
  closesAt: z.iso.datetime().optional(),
  trainees: z.array(GameDayTraineeInputSchema).max(200).optional(),
  /** Alternatively a CSV with a `name` column (or one name per line). */
  csv: z.string().max(100_000).optional(),
}).refine((g) => (g.trainees?.length ?? 0) > 0 || (g.csv?.trim() ?? '') !== '', { message: 'give trainees or csv' });
export type GameDayCreate = z.input<typeof GameDayCreateSchema>;

export const GameDayTraineeStateSchema = z.enum(['invited', 'queued', 'running', 'finished']);
export const GameDayTraineeSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: GameDayTraineeStateSchema,
  /** 1 = next to start, while queued for capacity. */
  queuePosition: z.number().int().nullable(),
  runId: z.string().nullable(),
  runState: z.string().nullable(),
  elapsedMs: z.number().nullable(),
  objectivesPassing: z.number().int().nullable(),
  objectivesTotal: z.number().int().nullable(),
  hintsUsed: z.number().int().nullable(),
  score: z.number().nullable(),
  resolvedAtMs: z.number().nullable(),
  /** Integrity events of the run (tampering, lost faults): worth a look before trusting the score. */
  integrityFlags: z.number().int(),
  /** Live terminal sessions: the board links to them (drop-in). */
  sessions: z.array(z.object({ id: z.string(), vm: z.string(), vmIndex: z.number().int() })),
});
export const GameDaySchema = z.object({
  id: z.string(),
  name: z.string(),
  scenario: z.string(),
  seed: z.number().int(),
  mode: z.enum(['together', 'self-paced']),
  state: z.enum(['open', 'running', 'finished']),
  opensAt: z.string().nullable(),
  closesAt: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string(),
  startedAt: z.string().nullable(),
  trainees: z.array(GameDayTraineeSchema),
});
export type GameDay = z.infer<typeof GameDaySchema>;
export const GameDayListSchema = z.object({ gamedays: z.array(GameDaySchema.omit({ trainees: true }).extend({ trainees: z.number().int() })) });
/** Invite links are shown once, at creation: the code in them is kept only as a hash. */
export const GameDayCreatedSchema = z.object({
  gameday: GameDaySchema,
  invites: z.array(z.object({ traineeId: z.string(), name: z.string(), code: z.string(), link: z.string() })),
});
export const GameDayJoinSchema = z.strictObject({ code: z.string().min(10).max(200) });
export const GameDayJoinedSchema = z.object({
  traineeId: z.string(),
  state: GameDayTraineeStateSchema,
  queuePosition: z.number().int().nullable(),
  runId: z.string().nullable(),
  /** A trainee token for the run, once it exists. */
  token: z.string().nullable(),
});
export const LeaderboardSchema = z.object({
  gamedayId: z.string(),
  /** Resolved runs by score (high first), ties by time to resolve, then hints; unresolved after. */
  rows: z.array(z.object({ rank: z.number().int().nullable(), name: z.string(), runId: z.string().nullable(), state: z.string(), score: z.number().nullable(), resolvedAtMs: z.number().nullable(), hintsUsed: z.number().int().nullable(), integrityFlags: z.number().int() })),
});
export type Leaderboard = z.infer<typeof LeaderboardSchema>;
export const LeaderboardQuerySchema = z.object({ format: z.enum(['json', 'csv']).default('json') });
