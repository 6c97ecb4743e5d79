/**
 * Route handlers: each parses nothing itself (the app validated the input with the schema)
 * and turns a request into one call on the fleets, runs, library, store or tokens.
 */
import { ASCIICAST_CONTENT_TYPE, PuduError, buildOpenApiDocument, scenarioJsonSchema, type RunEvent, type RunStatus } from '@pudu/schema';
import type { FastifyReply } from 'fastify';
import { driverIsolation } from '@pudu/drivers';
import type { ServerContext } from '../context.ts';
import type { Handlers } from './app.ts';
import { healthHandlers } from './health.ts';
import { assertRunAccess } from '../auth/tokens.ts';
import { createGovernanceHandlers } from './governance-handlers.ts';
import { createHaltHandlers } from './halt-handlers.ts';
import { vmSpecsOf } from '../fleets/fleet-manager.ts';
import { commandsOfRun } from '../recordings/run-commands.ts';
import { runHistory } from '../history/run-history.ts';
import { buildReport } from '../reports/build-report.ts';
import { renderHtml, renderMarkdown } from '../reports/render-report.ts';
import { deleteRunData } from '../reports/delete-run.ts';
import { leaderboardCsv } from '../gamedays/leaderboard.ts';

const SSE_KEEPALIVE_MS = 15_000;

function summaryOf(r: RunStatus) {
  const { id, scenarioId, title, difficulty, state, createdAt, startedAt, endedAt, elapsedMs, score, hintsUsed, hintsTotal, objectivesPassing, objectivesTotal } = r;
  return { id, scenarioId, title, difficulty, state, createdAt, startedAt, endedAt, elapsedMs, score, hintsUsed, hintsTotal, objectivesPassing, objectivesTotal };
}

/** Streams a run's events as SSE: stored ones after `after` (or Last-Event-ID), then live. */
/**
 * What a trainee's events say: no fault events (they name the incident's cause), no integrity
 * events (they would teach how to hide tampering), and the symptom, never the mechanism staff see.
 */
function traineeEvent(ev: RunEvent): RunEvent | null {
  if (ev.kind.startsWith('fault.') || ev.kind.startsWith('integrity.')) return null;
  if (!('staffDetail' in ev.data)) return ev;
  const { staffDetail: _s, ...data } = ev.data;
  return { ...ev, data };
}

/**
 * A trainee's view of a run: faults name the cause, alerts not fired yet foretell the next
 * stage, objectives' staff details name the mechanism, integrity findings teach how to hide
 * tampering: none of it for trainees.
 */
function traineeStatus(status: RunStatus): RunStatus {
  return {
    ...status,
    faults: [],
    alerts: status.alerts.filter((a) => a.fired || a.firing),
    objectives: status.objectives.map(({ staffDetail: _s, ...o }) => o),
    // Integrity findings would teach how to hide tampering: staff only.
    integrity: [],
  };
}

async function streamEvents(ctx: ServerContext, runId: string, after: number, reply: FastifyReply, view: (ev: RunEvent) => RunEvent | null): Promise<FastifyReply> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  let last = after;
  const send = (ev: RunEvent): void => {
    if (ev.seq <= last) return;
    last = ev.seq;
    const shown = view(ev);
    if (!shown) return;
    res.write(`id: ${shown.seq}\nevent: ${shown.kind}\ndata: ${JSON.stringify(shown)}\n\n`);
  };
  const queued: RunEvent[] = [];
  let replaying = true;
  const unsubscribe = ctx.bus.subscribe(runId, (ev) => (replaying ? queued.push(ev) : send(ev)));
  for (const ev of await ctx.store.listEvents(runId, after)) send(ev);
  replaying = false;
  for (const ev of queued) send(ev);
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
  res.on('close', () => {
    clearInterval(keepalive);
    unsubscribe();
  });
  return reply;
}

/** Builds the handler table for the app. */
export function createHandlers(ctx: ServerContext): Handlers {
  const openapi = buildOpenApiDocument();
  const scenarioSchema = scenarioJsonSchema();
  return {
    ...healthHandlers(ctx),
    getOpenApi: async () => openapi,
    // Its $id is where it was fetched, so editors and validators resolve it back here.
    getScenarioSchema: async ({ req }) => ({ ...scenarioSchema, $id: `${req.protocol}://${req.host}${req.url.split('?')[0]}` }),
    metrics: async ({ reply }) => reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
    health: async () => ({
      status: 'ok' as const, version: ctx.version, driver: ctx.driver.name, database: ctx.store.kind,
      isolation: driverIsolation(ctx.driver.name), capacity: ctx.fleets.capacity(),
    }),
    ...createGovernanceHandlers(ctx),
    ...createHaltHandlers(ctx),

    listFleets: async () => ({ fleets: await ctx.fleets.list() }),
    createFleet: async ({ body, audit }) => {
      const fleet = await ctx.fleets.create(vmSpecsOf(body));
      audit.target = `fleet ${fleet.id}`;
      audit.detail = `${fleet.vms.length} VMs ready in ${fleet.bootMs} ms`;
      return fleet;
    },
    getFleet: async ({ params }) => ctx.fleets.get(params.id),
    deleteFleet: async ({ params, audit }) => {
      audit.target = `fleet ${params.id}`;
      const f = await ctx.fleets.get(params.id);
      if (f.runId) {
        const run = await ctx.runs.status(f.runId).catch(() => null);
        if (run && (run.state === 'running' || run.state === 'preflight' || run.state === 'provisioning' || run.state === 'queued')) {
          throw new PuduError('CONFLICT', `fleet ${f.id} belongs to running scenario ${f.runId}; abort the run instead`);
        }
      }
      return ctx.fleets.delete(params.id);
    },

    listRuns: async ({ principal }) => {
      const runs = await ctx.runs.list();
      return { runs: runs.filter((r) => principal.role !== 'trainee' || r.id === principal.runId).map(summaryOf) };
    },
    runScenario: async ({ body, principal, audit }) => {
      const out = await ctx.runs.start(body, principal);
      audit.target = `run ${out.run.id}`;
      audit.detail = `scenario ${out.run.scenarioId} seed ${out.run.seed}`;
      return out;
    },
    getRun: async ({ params, principal }) => {
      assertRunAccess(principal, params.id);
      const status = await ctx.runs.status(params.id);
      return principal.role === 'trainee' ? traineeStatus(status) : status;
    },
    answerRootCause: async ({ params, body, principal, audit }) => {
      assertRunAccess(principal, params.id);
      audit.target = `run ${params.id}`;
      const v = await ctx.runs.answerRootCause(params.id, body.answer);
      audit.detail = `root cause ${v.correct ? 'right' : 'wrong'}`;
      return v;
    },
    endReview: async ({ params, principal, audit }) => {
      assertRunAccess(principal, params.id);
      audit.target = `run ${params.id}`;
      const status = await ctx.runs.endReview(params.id);
      return principal.role === 'trainee' ? traineeStatus(status) : status;
    },
    takeHint: async ({ params, principal, audit }) => {
      assertRunAccess(principal, params.id);
      audit.target = `run ${params.id}`;
      const h = await ctx.runs.hint(params.id);
      audit.detail = `hint ${h.index + 1}/${h.hintsTotal}`;
      return h;
    },
    abortRun: async ({ params, principal, audit }) => {
      audit.target = `run ${params.id}`;
      return ctx.runs.abort(params.id, principal);
    },
    getRunMetrics: async ({ params, principal }) => {
      assertRunAccess(principal, params.id);
      return ctx.runs.metrics(params.id);
    },
    listRunEvents: async ({ params, query, principal, req, reply }) => {
      assertRunAccess(principal, params.id);
      await ctx.runs.status(params.id);
      const lastId = Number(req.headers['last-event-id']);
      const after = Number.isInteger(lastId) && lastId > 0 ? lastId : query.after ?? 0;
      const view = principal.role === 'trainee' ? traineeEvent : (ev: RunEvent) => ev;
      if (String(req.headers.accept ?? '').includes('text/event-stream')) return streamEvents(ctx, params.id, after, reply, view);
      return { events: (await ctx.store.listEvents(params.id, after)).flatMap((ev) => view(ev) ?? []) };
    },

    listLibrary: async () => ({ scenarios: await ctx.library.list() }),
    getLibraryScenario: async ({ params }) => {
      const item = await ctx.library.read(params.name);
      const entry = (await ctx.library.list()).find((e) => e.name === item.name);
      if (!entry) throw new PuduError('SCENARIO_INVALID', `library scenario ${item.name} does not validate; run puduc scenario validate ${item.file}`);
      return { ...entry, yaml: item.yaml };
    },

    listAudit: async ({ query }) => ({ entries: await ctx.store.listAudit(query.limit, query.before) }),

    listRecordings: async ({ params, principal }) => {
      assertRunAccess(principal, params.id);
      await ctx.runs.status(params.id);
      const recordings = await ctx.recordings.store.list(params.id);
      return { recordings, budgetBytes: ctx.recordings.budgetBytes, usedBytes: recordings.reduce((n, r) => n + r.bytes, 0) };
    },
    getRecording: async ({ params, principal, reply }) => {
      assertRunAccess(principal, params.id);
      const info = await ctx.recordings.store.get(params.id, params.session);
      if (!info) throw new PuduError('RECORDING_NOT_FOUND', `run ${params.id} has no recording ${params.session}`);
      return reply.code(200).type(ASCIICAST_CONTENT_TYPE)
        .header('content-disposition', `attachment; filename="${params.id}-${info.id}.cast"`)
        .send(await ctx.recordings.store.read(info.id));
    },
    getRunReport: async ({ params, query, principal, reply }) => {
      assertRunAccess(principal, params.id);
      const report = await buildReport(ctx, params.id, principal.role !== 'trainee');
      if (query.format === 'markdown') return reply.code(200).type('text/markdown; charset=utf-8').send(renderMarkdown(report));
      if (query.format === 'html') return reply.code(200).type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:").send(renderHtml(report));
      return report;
    },
    getRunNotes: async ({ params, principal }) => {
      assertRunAccess(principal, params.id);
      await ctx.runs.status(params.id);
      return ctx.notes.get(params.id);
    },
    updateRunNotes: async ({ params, body, principal, audit }) => {
      assertRunAccess(principal, params.id);
      await ctx.runs.status(params.id);
      audit.target = `run ${params.id}`;
      if (principal.role === 'trainee' && body.instructor !== undefined) throw new PuduError('FORBIDDEN', 'a trainee writes only the trainee notes');
      if (principal.role !== 'trainee' && body.trainee !== undefined) throw new PuduError('FORBIDDEN', 'the trainee notes are the trainee\'s own account; staff write instructor notes');
      const notes = await ctx.notes.get(params.id);
      if (body.trainee !== undefined) notes.trainee = body.trainee;
      if (body.instructor !== undefined) notes.instructor = body.instructor;
      notes.updatedAt = new Date().toISOString();
      notes.updatedBy = `${principal.name} (${principal.role})`;
      await ctx.notes.put(params.id, notes);
      audit.detail = body.trainee !== undefined ? 'trainee notes' : 'instructor notes';
      return notes;
    },
    deleteRun: async ({ params, audit }) => {
      audit.target = `run ${params.id}`;
      return deleteRunData(ctx, params.id);
    },
    listWebhooks: async () => ({
      webhooks: (await ctx.webhooks.list()).map(({ id, url, events, source, createdAt }) => ({ id, url, events, source, createdAt })),
      deliveries: await ctx.webhooks.store.deliveries(200),
    }),
    createWebhook: async ({ body, audit }) => {
      const { id, url, events, source, createdAt } = await ctx.webhooks.add(body);
      audit.target = `webhook ${id}`;
      audit.detail = `${url} for ${events.join(', ')}`;
      return { id, url, events, source, createdAt };
    },
    deleteWebhook: async ({ params, audit }) => {
      audit.target = `webhook ${params.id}`;
      const { id, url, events, source, createdAt } = await ctx.webhooks.remove(params.id);
      return { id, url, events, source, createdAt };
    },
    listGameDays: async () => ({ gamedays: await ctx.gamedays.list() }),
    createGameDay: async ({ body, principal, audit }) => {
      const out = await ctx.gamedays.create(body, principal!);
      audit.target = `game day ${out.gameday.id}`;
      audit.detail = `${out.gameday.scenario} seed ${out.gameday.seed}, ${out.invites.length} trainees, ${out.gameday.mode}`;
      return out;
    },
    getGameDay: async ({ params }) => ctx.gamedays.board(params.id),
    startGameDay: async ({ params, audit }) => {
      audit.target = `game day ${params.id}`;
      return ctx.gamedays.begin(params.id);
    },
    joinGameDay: async ({ params, body, audit }) => {
      audit.target = `game day ${params.id}`;
      const out = await ctx.gamedays.join(params.id, body.code);
      audit.detail = `trainee ${out.traineeId}: ${out.state}${out.runId ? ` (run ${out.runId})` : ''}`;
      return out;
    },
    getLeaderboard: async ({ params, query, reply }) => {
      const board = await ctx.gamedays.leaderboard(params.id);
      if (query.format === 'csv') {
        return reply.code(200).type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="leaderboard-${params.id}.csv"`).send(leaderboardCsv(board.rows));
      }
      return board;
    },
    getRunHistory: async ({ params, principal }) => {
      assertRunAccess(principal, params.id);
      return runHistory(ctx, params.id, principal.role !== 'trainee');
    },
    listRunCommands: async ({ params, principal }) => {
      assertRunAccess(principal, params.id);
      const run = await ctx.runs.status(params.id);
      return commandsOfRun(ctx.recordings.store, params.id, run.startedAt ? Date.parse(run.startedAt) : null);
    },
  };
}
