/**
 * A stand-in for `pudu server` used by the UI tests until the real server can boot a fleet
 * on this machine: it serves the real dist/web bundle and answers the documented API
 * routes, **validating every response body against @pudu/schema's zod schemas** (so the UI
 * is tested against the contract, not against whatever this file happens to send).
 * The "VM" is a real shell in a pty (`script`) inside a temporary directory, bridged over
 * the terminal WebSocket like the server's SSH bridge: binary data frames, JSON resize frames. The one
 * objective is a real check of that directory (a filler file removed), so the trainee's
 * fix in the terminal is what resolves the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { z } from 'zod';
import { parseScenario, scoreRun } from '@pudu/engine';
import { ProblemSchema, RUN_EVENT_DATA, RunEventSchema, RunSummarySchema, apiRoute, formatIssue, matchApiRoute, type RunEventDataInput, type RunEventKind, type RunStatus, type Score } from '@pudu/schema';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };
const SCORING = { base: 100, timePenaltyPerSecond: 0.05, hintPenalty: 10, perfectWindowMs: 300_000 };
const HINTS = ['Check disk usage with: df -h', 'Look for large files: du -sh * | sort -rh | head', 'Remove the filler file and watch the objective'];

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

export interface ContractServer {
  url: string;
  adminToken: string;
  /** Responses this stand-in refused to send because they broke @pudu/schema (must stay empty). */
  violations: string[];
  /** Every resize frame received, per VM index (the UI must send them). */
  resizes: { vm: number; cols: number; rows: number }[];
  /** Terminal sockets opened, with the mode asked for. */
  terminals: { vm: number; readOnly: boolean }[];
  /** The run's working directory (the "VM disk"). */
  workDir(runId: string): string;
  /** Revokes a token: the server answers 401 to it from now on. */
  revoke(token: string): void;
  /** Drops every terminal connection, as a server restart or network blip would. */
  dropTerminals(): void;
  close(): Promise<void>;
}

interface Run {
  id: string;
  createdAt: string;
  startedAtMs: number;
  endedAtMs: number | null;
  state: RunStatus['state'];
  hintsUsed: number;
  dir: string;
  traineeToken: string;
  events: { seq: number; runId: string; at: string; kind: string; data: Record<string, unknown> }[];
}

function send(res: ServerResponse, status: number, schema: z.ZodType | null, body: unknown, type = 'application/json'): void {
  // The stand-in must honour the contract exactly; a drift fails the test loudly.
  const checked = schema ? schema.parse(body) : body;
  res.writeHead(status, { 'content-type': type }).end(JSON.stringify(checked));
}

function problem(res: ServerResponse, status: number, code: string, detail: string): void {
  res.writeHead(status, { 'content-type': 'application/problem+json' })
    .end(JSON.stringify({ type: 'about:blank', title: code, status, code, detail }));
}

/** Starts the stand-in on 127.0.0.1 with a random port, serving `webDir`. */
export interface ContractOptions {
  /** The scenario's time limit (default 30 min). */
  timeLimitMs?: number;
  /** Runs start with this much already on the clock (to test what happens near the limit). */
  startedAgoMs?: number;
}

export async function startContractServer(webDir: string, options: ContractOptions = {}): Promise<ContractServer> {
  const timeLimitMs = options.timeLimitMs ?? 1_800_000;
  const adminToken = `pudu_admin_${Math.random().toString(36).slice(2)}`;
  const tokens = new Map<string, { role: 'admin' | 'trainee'; runId: string | null; name: string }>([[adminToken, { role: 'admin', runId: null, name: 'admin' }]]);
  const runs = new Map<string, Run>();
  const streams = new Set<{ runId: string; res: ServerResponse }>();
  const shells = new Set<ChildProcess>();
  const resizes: ContractServer['resizes'] = [];
  const violations: string[] = [];
  const terminals: ContractServer['terminals'] = [];
  let nextRun = 1;

  const elapsedMs = (r: Run): number => (r.endedAtMs ?? Date.now()) - r.startedAtMs;
  const fillerPath = (r: Run): string => join(r.dir, 'var-log-filler.bin');
  // The engine's event shapes (schema/run-events.ts), checked as the real server's publishers are typed.
  const publish = <K extends RunEventKind>(r: Run, kind: K, data: RunEventDataInput<K>): void => {
    const ev = RunEventSchema.parse({ seq: r.events.length + 1, runId: r.id, at: new Date().toISOString(), kind, data: RUN_EVENT_DATA[kind].parse(data) });
    r.events.push(ev);
    for (const s of streams) if (s.runId === r.id) s.res.write(`id: ${ev.seq}\nevent: ${kind}\ndata: ${JSON.stringify(ev)}\n\n`);
  };
  const score = (r: Run): Score => {
    const { score: total, base, timePenalty, hintPenalty, actionPenalty, rootCausePenalty } = scoreRun({ scoring: SCORING, resolvedAtMs: elapsedMs(r), hintsTaken: r.hintsUsed });
    return { score: total, base, timePenalty, hintPenalty, actionPenalty, rootCausePenalty };
  };
  const passing = (r: Run): boolean => !existsSync(fillerPath(r));
  const status = (r: Run): RunStatus => ({
    id: r.id, scenarioId: 'disk-full', title: 'The Disk That Ate Everything', difficulty: 'easy', state: r.state,
    createdAt: r.createdAt, startedAt: new Date(r.startedAtMs).toISOString(), endedAt: r.endedAtMs ? new Date(r.endedAtMs).toISOString() : null,
    elapsedMs: elapsedMs(r), score: r.state === 'resolved' ? score(r).score : null,
    description: 'A deploy pipeline started failing at 03:12. The app node reports no space left on device.\n\nFind what filled the disk and free it.',
    symptoms: ['nginx returns 502 Bad Gateway', 'deploys fail with ENOSPC'], seed: 1, fleetId: 'fleet-1', keepFleet: false,
    timeLimitMs, resolvedAtMs: r.state === 'resolved' ? elapsedMs(r) : null, error: null,
    alerts: [
      { name: 'DiskSpaceCritical', severity: 'critical', message: 'Disk usage above 95% on app-0', firedAtMs: 0, fired: true, firing: true },
      { name: 'DeploymentsFailing', severity: 'warning', message: 'Last 3 deploys failed', firedAtMs: 2000, fired: elapsedMs(r) >= 2000, firing: elapsedMs(r) >= 2000 },
    ],
    objectives: [{ id: 'disk-recovered', description: 'Disk usage below 80% on app-0', passing: passing(r), state: passing(r) ? 'passing' : 'failing', forMs: 0, detail: passing(r) ? 'ok' : 'disk_used_pct 100 ≥ 80', checkedAt: new Date().toISOString() }],
    faults: [{ id: 'disk-fill-app', type: 'disk', vm: 'app-0', atMs: 0, durationMs: 600_000, state: r.state === 'running' ? 'active' : 'reverted', error: null }],
    vms: [{ name: 'app-0', index: 40, guestIp: '172.16.40.2', hostLink: 'pudu-vh40' }],
    hintsUsed: r.hintsUsed, hintsTotal: HINTS.length, objectivesPassing: passing(r) ? 1 : 0, objectivesTotal: 1,
    hints: HINTS.slice(0, r.hintsUsed), scoreDetail: score(r), scoring: SCORING, environment: 'training', experimentId: null, charter: null, integrity: [], mode: 'training', verdict: null,
    penalties: [], rootCause: null, reviewUntil: null, traffic: null,
  });

  const evaluate = setInterval(() => {
    for (const r of runs.values()) {
      if (r.state === 'running' && passing(r)) {
        r.state = 'resolved';
        r.endedAtMs = Date.now();
        publish(r, 'objective.passed', { id: 'disk-recovered', detail: 'app-0: /var/log below 80%' });
        const sc = score(r);
        publish(r, 'run.resolved', { elapsedMs: elapsedMs(r), resolvedAtMs: elapsedMs(r), score: sc.score, timePenalty: sc.timePenalty, hintPenalty: sc.hintPenalty, actionPenalty: sc.actionPenalty });
      }
    }
  }, 200);

  // The metrics route: host figures stand in for the agent's, and the disk figure
  // follows the real filler file.
  let cpuPrev = cpuTimes();
  const metricsOf = (r: Run): { cpuPct: number; memUsedPct: number; diskUsedPct: number; diskFreeMb: number; loadAvg1: number } => {
    const now = cpuTimes();
    const busy = now.busy - cpuPrev.busy;
    const total = now.total - cpuPrev.total;
    cpuPrev = now;
    return {
      cpuPct: total > 0 ? Math.round((busy / total) * 1000) / 10 : 0,
      memUsedPct: Math.round((1 - freemem() / totalmem()) * 1000) / 10,
      diskUsedPct: passing(r) ? 41 : 100,
      diskFreeMb: passing(r) ? 600 : 0,
      loadAvg1: loadavg()[0] ?? 0,
    };
  };

  const auth = (req: IncomingMessage): { role: 'admin' | 'trainee'; runId: string | null; name: string } | null => {
    const proto = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((x) => x.trim()).find((x) => x.startsWith('pudu.token.'));
    if (proto) return tokens.get(proto.slice('pudu.token.'.length)) ?? null;
    const header = req.headers.authorization?.replace(/^Bearer /, '');
    const query = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
    return tokens.get(header ?? query ?? '') ?? null;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    if (!matchApiRoute(req.method ?? 'GET', path)) {
      const rel = normalize(path).replace(/^\/+/, '') || 'index.html';
      const file = join(webDir, rel);
      const target = file.startsWith(webDir) && existsSync(file) && statSync(file).isFile() ? file : join(webDir, 'index.html');
      res.writeHead(200, { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream' }).end(readFileSync(target));
      return;
    }
    const who = auth(req);
    if (!who) return problem(res, 401, 'UNAUTHORIZED', 'a valid token is required');
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      try {
        route();
      } catch (e) {
        // A response that breaks the contract is a test failure, not a crash of the runner.
        violations.push(`${req.method} ${path}: ${e instanceof Error ? e.message : String(e)}`);
        if (!res.headersSent) problem(res, 500, 'CONTRACT_VIOLATION', `stand-in response broke @pudu/schema: ${String(e)}`);
      }
    });
    const route = (): void => {
      const matched = matchApiRoute(req.method ?? 'GET', path);
      if (!matched) return problem(res, 404, 'NOT_FOUND', `no route ${req.method} ${path}`);
      const op = matched.route.operationId;
      const ok = (status: number, out: unknown): void => send(res, status, 'response' in matched.route ? matched.route.response : null, out);
      const run = matched.params.id === undefined ? undefined : runs.get(matched.params.id);
      if (matched.params.id !== undefined && !run) return problem(res, 404, 'RUN_NOT_FOUND', `no run ${matched.params.id}`);
      if (run && who.role === 'trainee' && who.runId !== run.id) return problem(res, 403, 'FORBIDDEN', 'not your run');
      switch (op) {
        case 'whoami': return ok(200, {
          id: 'tok', name: who.name, role: who.role, policyRole: who.role, user: who.name, groups: [], runId: who.runId,
          expiresAt: new Date(Date.now() + 12 * 3600_000).toISOString(), approver: who.role === 'admin',
        });
        case 'listLibrary':
          if (who.role === 'trainee') return problem(res, 403, 'FORBIDDEN', 'staff only');
          return ok(200, { scenarios: [
            { name: 'monolith/disk-full', id: 'disk-full', title: 'The Disk That Ate Everything', difficulty: 'easy', architecture: 'monolith', tags: ['disk', 'storage'], description: 'A deploy pipeline started failing at 03:12.', vms: 1 },
            { name: 'microservices/db-connection-exhaustion', id: 'db-connection-exhaustion', title: 'Connection Pool Meltdown', difficulty: 'medium', architecture: 'microservices', tags: ['database', 'network', 'memory'], description: 'Checkout slows down, then fails.', vms: 3 },
          ] });
        case 'listFleets': return ok(200, { fleets: [...runs.values()].filter((r) => r.state === 'running').map((r) => ({
          id: `fleet-${r.id}`, state: 'ready', driver: 'sandbox', runId: r.id, createdAt: r.createdAt, readyAt: r.createdAt, bootMs: 640, error: null,
          vms: [{ name: 'app-0', tier: 'app', index: 40, guestIp: '172.16.40.2', hostIp: '172.16.40.1', hostLink: 'pudu-vh40', state: 'ready', driver: 'sandbox' }] })) });
        case 'createToken': {
          const b = JSON.parse(body || '{}') as { role: 'trainee'; runId?: string; name?: string };
          const token = `pudu_tr_${Math.random().toString(36).slice(2)}`;
          tokens.set(token, { role: 'trainee', runId: b.runId ?? null, name: b.name ?? 'trainee' });
          return ok(201, { id: 'x', name: b.name ?? 'trainee', role: 'trainee', runId: b.runId ?? null, createdAt: new Date().toISOString(), revokedAt: null, token });
        }
        case 'listRuns': {
          const visible = [...runs.values()].filter((r) => who.role !== 'trainee' || r.id === who.runId);
          // The summary is the status without the detail (zod drops the keys the list does not have).
          return ok(200, { runs: visible.map((r) => RunSummarySchema.parse(status(r))) });
        }
        case 'runScenario': {
          if (who.role === 'trainee') return problem(res, 403, 'FORBIDDEN', 'operators only');
          const request = JSON.parse(body || '{}') as { name?: string; yaml?: string; file?: string };
          if (request.yaml !== undefined) {
            // Validation is the real engine's, errors shaped as the server sends them.
            const parsed = parseScenario(request.yaml, request.file ?? '<request>');
            if (!parsed.ok) {
              return send(res, 422, ProblemSchema, { type: 'about:blank', title: 'SCENARIO_INVALID', status: 422, code: 'SCENARIO_INVALID',
                detail: `${request.file}: ${parsed.errors.length} problem(s):\n${parsed.errors.map(formatIssue).join('\n')}`,
                errors: parsed.errors.map((e) => ({ file: e.file, line: e.line, col: e.col, path: e.path, message: e.message })) }, 'application/problem+json');
            }
          }
          const id = `run-${nextRun++}`;
          const dir = mkdtempSync(join(tmpdir(), 'pudu-web-vm-'));
          writeFileSync(join(dir, 'var-log-filler.bin'), Buffer.alloc(1024 * 1024));
          const traineeToken = `pudu_tr_${Math.random().toString(36).slice(2)}`;
          const r: Run = { id, createdAt: new Date().toISOString(), startedAtMs: Date.now() - (options.startedAgoMs ?? 0), endedAtMs: null, state: 'running', hintsUsed: 0, dir, traineeToken, events: [] };
          runs.set(id, r);
          tokens.set(traineeToken, { role: 'trainee', runId: id, name: 'trainee' });
          publish(r, 'run.started', { timeLimitMs: 30 * 60_000 });
          publish(r, 'fault.applied', { id: 'disk-fill-app', type: 'disk', vm: 'app-0' });
          publish(r, 'alert.fired', { name: 'DiskSpaceCritical', severity: 'critical', message: '/var/log is 97% full on app-0', atMs: 0 });
          return ok(201, { run: status(r), traineeToken });
        }
        case 'getRun': return ok(200, status(run!));
        case 'abortRun': {
          if (who.role === 'trainee') return problem(res, 403, 'FORBIDDEN', 'operators only');
          if (run!.state !== 'running') return problem(res, 409, 'RUN_NOT_ACTIVE', `run ${run!.id} is ${run!.state}`);
          run!.state = 'aborted';
          run!.endedAtMs = Date.now();
          publish(run!, 'run.aborted', { elapsedMs: elapsedMs(run!), error: 'aborted by an operator' });
          return ok(200, status(run!));
        }
        case 'getRunMetrics': return ok(200, { vms: [{ vm: 'app-0', index: 40, metrics: metricsOf(run!), error: null }] });
        case 'takeHint': {
          if (run!.hintsUsed >= HINTS.length) return problem(res, 409, 'HINTS_EXHAUSTED', 'no hints left');
          run!.hintsUsed += 1;
          publish(run!, 'hint.taken', { index: run!.hintsUsed - 1, hintsUsed: run!.hintsUsed, penalty: SCORING.hintPenalty });
          return ok(200, { index: run!.hintsUsed, text: HINTS[run!.hintsUsed - 1], hintsUsed: run!.hintsUsed, hintsTotal: HINTS.length, hintPenalty: SCORING.hintPenalty });
        }
        case 'listRunEvents': {
          const after = Number(url.searchParams.get('after') ?? 0);
          if (!(req.headers.accept ?? '').includes('text/event-stream')) return ok(200, { events: run!.events.filter((e) => e.seq > after) });
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
          for (const ev of run!.events.filter((e) => e.seq > after)) res.write(`id: ${ev.seq}\nevent: ${ev.kind}\ndata: ${JSON.stringify(ev)}\n\n`);
          const entry = { runId: run!.id, res };
          streams.add(entry);
          res.on('close', () => streams.delete(entry));
          return;
        }
        default: return problem(res, 404, 'NOT_FOUND', `the stand-in does not answer ${op}`);
      }
    };
  });

  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => [...p].find((x) => x.startsWith('pudu.token.')) ?? false });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const who = auth(req);
    if (url.pathname !== apiRoute('terminal').path || !who) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => bridge(ws, Number(url.searchParams.get('vm')), url.searchParams.get('mode') === 'readonly'));
  });

  const bridge = (ws: WebSocket, vm: number, readOnly: boolean): void => {
    terminals.push({ vm, readOnly });
    const run = [...runs.values()].at(-1);
    const shell = spawn('script', ['-qfc', 'env -i PS1="root@app-0:\\w# " TERM=xterm-256color HOME=/root PATH=/usr/bin:/bin bash --norc --noprofile', '/dev/null'], { cwd: run?.dir ?? tmpdir(), stdio: 'pipe' });
    shells.add(shell);
    shell.stdout?.on('data', (d: Buffer) => ws.send(d));
    shell.on('exit', () => { shells.delete(shell); ws.close(1000, 'shell exited'); });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        const msg = JSON.parse(String(data)) as { type: string; cols: number; rows: number };
        if (msg.type === 'resize') resizes.push({ vm, cols: msg.cols, rows: msg.rows });
        return;
      }
      if (!readOnly) shell.stdin?.write(data as Buffer);
    });
    ws.on('close', () => shell.kill('SIGKILL'));
  };

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    adminToken,
    violations,
    resizes,
    terminals,
    workDir: (id) => runs.get(id)?.dir ?? '',
    revoke: (token) => { tokens.delete(token); },
    dropTerminals: () => { for (const c of wss.clients) c.terminate(); },
    async close() {
      clearInterval(evaluate);
      for (const s of streams) s.res.end();
      for (const sh of shells) sh.kill('SIGKILL');
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      for (const r of runs.values()) rmSync(r.dir, { recursive: true, force: true });
    },
  };
}
