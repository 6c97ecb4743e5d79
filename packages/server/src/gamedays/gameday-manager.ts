/**
 * Game days: one scenario and one seed for N trainees, each with their own fleet and run.
 * Started together by the instructor or self-paced (a trainee's run starts when they open
 * their invite, within the window). Every start is capacity-checked; whoever does not fit
 * waits in a first-come queue that drains as runs end. Invite codes are kept as hashes.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { compileScenario, parseScenario } from '@pudu/engine';
import { GameDayCreateSchema, PuduError, TERMINAL_RUN_STATES, type CapacityResources, type GameDay, type GameDayCreate, type RunEvent } from '@pudu/schema';
import type { ServerContext } from '../context.ts';
import type { Principal } from '../auth/tokens.ts';
import { createToken } from '../auth/tokens.ts';
import { isIntegrity } from '../reports/build-report.ts';
import { roomFor } from './capacity.ts';
import { rankEntries, type Entry } from './leaderboard.ts';
import { insertUnderFreshId } from '../store/fresh-id.ts';
import { needOf } from '../fleets/capacity-budget.ts';

interface Invite { traineeId: string; name: string; code: string; link: string }
interface TraineeDoc { id: string; name: string; codeHash: string; state: 'invited' | 'queued' | 'running' | 'finished'; queuedAt: number | null; runId: string | null }
interface GameDayDoc {
  id: string; name: string; scenario: string; seed: number; mode: 'together' | 'self-paced'; state: 'open' | 'running' | 'finished';
  opensAt: string | null; closesAt: string | null; createdAt: string; createdBy: Principal; startedAt: string | null; need: CapacityResources; trainees: TraineeDoc[];
}

const DRAIN_EVERY_MS = 3000;
const hashCode = (code: string): string => createHash('sha256').update(code).digest('hex');

/** Names from a CSV with a `name` column, or one name per line. */
export function namesFromCsv(csv: string): string[] {
  const rows = parseCsv(csv, { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  const head = rows[0]?.map((h) => h.toLowerCase()) ?? [];
  const col = head.indexOf('name');
  const body = col >= 0 ? rows.slice(1) : rows;
  return body.map((r) => r[col >= 0 ? col : 0] ?? '').filter((n) => n !== '');
}

export class GameDays {
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly ctx: ServerContext) {}

  start(): void {
    this.unsubscribe = this.ctx.bus.subscribe('*', (ev) => void this.onEvent(ev));
    this.timer = setInterval(() => void this.drain(), DRAIN_EVERY_MS);
    this.timer.unref?.();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
  }

  /** One change at a time: starts and queue moves never race each other. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async load(id: string): Promise<GameDayDoc> {
    const rows = await this.ctx.store.db.all<{ doc: string }>('SELECT doc FROM gamedays WHERE id = ?', [id]);
    if (!rows[0]) throw new PuduError('GAMEDAY_NOT_FOUND', `no game day ${id}`);
    return JSON.parse(rows[0].doc) as GameDayDoc;
  }

  /** A new game day; false when its id is taken (an old game day is never overwritten). */
  private async insert(g: GameDayDoc): Promise<boolean> {
    const rows = await this.ctx.store.db.all(
      'INSERT INTO gamedays (id, state, created_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id',
      [g.id, g.state, g.createdAt, JSON.stringify(g)],
    );
    return rows.length === 1;
  }

  private async save(g: GameDayDoc): Promise<void> {
    await this.ctx.store.db.run('UPDATE gamedays SET state = ?, doc = ? WHERE id = ?', [g.state, JSON.stringify(g), g.id]);
  }

  private async all(): Promise<GameDayDoc[]> {
    return (await this.ctx.store.db.all<{ doc: string }>('SELECT doc FROM gamedays ORDER BY created_at')).map((r) => JSON.parse(r.doc) as GameDayDoc);
  }

  async create(input: GameDayCreate, by: Principal): Promise<{ gameday: GameDay; invites: Invite[] }> {
    const body = GameDayCreateSchema.parse(input);
    const { yaml, file } = await this.ctx.library.read(body.scenario);
    const parsed = parseScenario(yaml, file);
    if (!parsed.ok) throw new PuduError('SCENARIO_INVALID', `${file} does not validate: run puduc scenario validate ${file}`, { errors: parsed.errors });
    const seed = body.seed ?? randomBytes(4).readUInt32BE() % 2 ** 31;
    const compiled = compileScenario(parsed.spec, { seed });
    const names = [...(body.trainees ?? []).map((t) => t.name), ...(body.csv ? namesFromCsv(body.csv) : [])];
    if (!names.length) throw new PuduError('BAD_REQUEST', 'the game day has no trainees (the CSV had no names)');
    if (body.opensAt && body.closesAt && Date.parse(body.closesAt) <= Date.parse(body.opensAt)) throw new PuduError('BAD_REQUEST', 'closesAt must be after opensAt');
    const createdAt = new Date().toISOString();
    const build = (id: string): { g: GameDayDoc; invites: Invite[] } => {
      const invites: Invite[] = [];
      const trainees: TraineeDoc[] = names.map((name, i) => {
        const code = randomBytes(18).toString('base64url');
        const traineeId = `t${i + 1}`;
        invites.push({ traineeId, name, code, link: `/#/gamedays/${id}/join?code=${code}` });
        return { id: traineeId, name, codeHash: hashCode(code), state: 'invited', queuedAt: null, runId: null };
      });
      const g: GameDayDoc = {
        id, name: body.name, scenario: body.scenario, seed, mode: body.mode, state: 'open', opensAt: body.opensAt ?? null, closesAt: body.closesAt ?? null,
        createdAt, createdBy: by, startedAt: null, need: needOf(compiled.vms), trainees,
      };
      return { g, invites };
    };
    const { g, invites } = await insertUnderFreshId('g', 'game day', build, (x) => this.insert(x.g));
    return { gameday: await this.view(g), invites };
  }

  async list(): Promise<(Omit<GameDay, 'trainees'> & { trainees: number })[]> {
    return (await this.all()).map((g) => ({ ...this.head(g), trainees: g.trainees.length }));
  }

  async board(id: string): Promise<GameDay> {
    return this.view(await this.load(id));
  }

  /** Everyone at once (what fits now; the rest queue in the order of the list). */
  async begin(id: string): Promise<GameDay> {
    await this.locked(async () => {
      const g = await this.load(id);
      if (g.state !== 'open') throw new PuduError('CONFLICT', `game day ${id} is already ${g.state}`);
      const now = Date.now();
      g.state = 'running';
      g.startedAt = new Date(now).toISOString();
      g.trainees.forEach((t, i) => {
        if (t.state === 'invited') Object.assign(t, { state: 'queued', queuedAt: now + i });
      });
      await this.save(g);
      await this.ctx.webhooks.emit('gameday.started', null, { gamedayId: g.id, name: g.name, scenario: g.scenario, seed: g.seed, trainees: g.trainees.length });
    });
    await this.drain();
    return this.board(id);
  }

  /** A trainee opens their invite: queue (self-paced), then a token for their run once it exists. */
  async join(id: string, code: string): Promise<{ traineeId: string; state: TraineeDoc['state']; queuePosition: number | null; runId: string | null; token: string | null }> {
    const trainee = await this.locked(async () => {
      const g = await this.load(id);
      const h = Buffer.from(hashCode(code), 'hex');
      const t = g.trainees.find((x) => timingSafeEqual(Buffer.from(x.codeHash, 'hex'), h));
      if (!t) throw new PuduError('FORBIDDEN', 'this invite code is not valid for this game day');
      const now = Date.now();
      if (g.mode === 'self-paced' && t.state === 'invited') {
        if (g.opensAt && now < Date.parse(g.opensAt)) throw new PuduError('CONFLICT', `the game day opens at ${g.opensAt}`);
        if (g.closesAt && now > Date.parse(g.closesAt)) throw new PuduError('CONFLICT', `the game day closed at ${g.closesAt}`);
        Object.assign(t, { state: 'queued', queuedAt: now });
        if (g.state === 'open') {
          g.state = 'running';
          g.startedAt = new Date(now).toISOString();
        }
        await this.save(g);
      }
      return t.id;
    });
    await this.drain();
    const g = await this.load(id);
    const t = g.trainees.find((x) => x.id === trainee)!;
    const token = t.runId && t.state === 'running' ? (await createToken(this.ctx.store, { role: 'trainee', name: `${t.name} (game day ${g.id})`, runId: t.runId })).token : null;
    return { traineeId: t.id, state: t.state, queuePosition: this.positionOf(g, t), runId: t.runId, token };
  }

  private positionOf(g: GameDayDoc, t: TraineeDoc): number | null {
    if (t.state !== 'queued') return null;
    const queue = g.trainees.filter((x) => x.state === 'queued').sort((a, b) => (a.queuedAt ?? 0) - (b.queuedAt ?? 0));
    return queue.indexOf(t) + 1;
  }

  /** Starts queued trainees, oldest first, while the host has room. */
  drain(): Promise<void> {
    return this.locked(async () => {
      const queue = (await this.all()).filter((g) => g.state === 'running')
        .flatMap((g) => g.trainees.filter((t) => t.state === 'queued').map((t) => ({ g, t })))
        .sort((a, b) => (a.t.queuedAt ?? 0) - (b.t.queuedAt ?? 0));
      for (const { g, t } of queue) {
        const room = await roomFor(this.ctx, g.need);
        if (!room.ok) return;
        const fresh = await this.load(g.id);
        const ft = fresh.trainees.find((x) => x.id === t.id)!;
        try {
          const { run } = await this.ctx.runs.start({ name: fresh.scenario, seed: fresh.seed }, fresh.createdBy);
          Object.assign(ft, { state: 'running', runId: run.id });
        } catch (e) {
          this.ctx.log(`game day ${g.id}: cannot start ${t.name}'s run: ${(e as Error).message}`);
          return;
        }
        await this.save(fresh);
      }
    });
  }

  private async onEvent(ev: RunEvent): Promise<void> {
    // A fleet that is ready holds exactly its share of the budget now: room is known again.
    if (ev.kind === 'fleet.ready') return this.drain();
    if (!/^run\.(resolved|aborted|expired|failed)$/.test(ev.kind)) return;
    await this.locked(async () => {
      for (const g of await this.all()) {
        const t = g.trainees.find((x) => x.runId === ev.runId);
        if (!t) continue;
        t.state = 'finished';
        if (g.trainees.every((x) => x.state === 'finished')) {
          g.state = 'finished';
          await this.ctx.webhooks.emit('gameday.finished', null, { gamedayId: g.id, name: g.name, leaderboard: rankEntries(await this.entries(g)) });
        }
        await this.save(g);
      }
    }).catch((e: unknown) => this.ctx.log(`game day: ${String(e)}`));
    await this.drain();
  }

  private async entries(g: GameDayDoc): Promise<Entry[]> {
    return Promise.all(g.trainees.map(async (t) => {
      const run = t.runId ? await this.ctx.runs.status(t.runId).catch(() => null) : null;
      const flags = t.runId ? (await this.ctx.store.listEvents(t.runId, 0)).filter((e) => isIntegrity(e.kind)).length : 0;
      return { name: t.name, runId: t.runId, state: run?.state ?? t.state, score: run?.state === 'resolved' ? run.scoreDetail.score : null, resolvedAtMs: run?.resolvedAtMs ?? null, hintsUsed: run?.hintsUsed ?? null, integrityFlags: flags };
    }));
  }

  async leaderboard(id: string): Promise<{ gamedayId: string; rows: ReturnType<typeof rankEntries> }> {
    return { gamedayId: id, rows: rankEntries(await this.entries(await this.load(id))) };
  }

  private head(g: GameDayDoc): Omit<GameDay, 'trainees'> {
    return { id: g.id, name: g.name, scenario: g.scenario, seed: g.seed, mode: g.mode, state: g.state, opensAt: g.opensAt, closesAt: g.closesAt, createdAt: g.createdAt, createdBy: `${g.createdBy.name} (${g.createdBy.id})`, startedAt: g.startedAt };
  }

  private async view(g: GameDayDoc): Promise<GameDay> {
    const entries = await this.entries(g);
    return {
      ...this.head(g),
      trainees: await Promise.all(g.trainees.map(async (t, i) => {
        const run = t.runId ? await this.ctx.runs.status(t.runId).catch(() => null) : null;
        return {
          id: t.id, name: t.name, state: t.state, queuePosition: this.positionOf(g, t), runId: t.runId, runState: run?.state ?? null,
          elapsedMs: run?.elapsedMs ?? null, objectivesPassing: run?.objectivesPassing ?? null, objectivesTotal: run?.objectivesTotal ?? null,
          hintsUsed: run?.hintsUsed ?? null, score: run && (run.state === 'resolved' || run.state === 'running') ? run.scoreDetail.score : null,
          resolvedAtMs: run?.resolvedAtMs ?? null, integrityFlags: entries[i]!.integrityFlags,
          sessions: t.runId && run && !TERMINAL_RUN_STATES.includes(run.state) ? this.ctx.terminals.listLive(t.runId).map((s) => ({ id: s.id, vm: s.vm, vmIndex: s.vmIndex })) : [],
        };
      })),
    };
  }
}
