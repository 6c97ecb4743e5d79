// Replays a recorded terminal session with asciinema-player (bundled, served locally), with
// the run's events (alerts, faults once revealed, hints, objectives, the fix) as markers on
// the same timeline: a list of buttons seeks the player to each. The player (~1 MB with its
// WebAssembly terminal) is a chunk of its own, fetched when a session is first opened; its
// small stylesheet stays in app.css.
import type * as AsciinemaPlayer from 'asciinema-player';
import 'asciinema-player/dist/bundle/asciinema-player.css';
import type { PuduClient } from '@pudu/client';
import { h, replaceChildren } from '../dom.ts';
import { formatClock } from '../format.ts';

type History = Awaited<ReturnType<PuduClient['getRunHistory']>>;
type Recordings = Awaited<ReturnType<PuduClient['listRecordings']>>['recordings'];

export interface Replay { el: HTMLElement; dispose(): void }

/** The run's recordings, one player at a time; `runStartMs` puts the markers on each session's clock. */
export function createReplay(client: PuduClient, runId: string, recordings: Recordings, history: History, runStartMs: number): Replay {
  const stage = h('div', { class: 'replay-stage', 'data-testid': 'replay-stage' });
  const markerList = h('ol', { class: 'replay-markers', 'aria-label': 'Events on this recording' });
  const status = h('p', { class: 'muted small', role: 'status' });
  let player: AsciinemaPlayer.Player | null = null;

  const open = async (rec: Recordings[number]): Promise<void> => {
    player?.dispose();
    player = null;
    status.textContent = `Loading ${rec.id}…`;
    const [cast, { create }] = await Promise.all([client.getRecording(runId, rec.id), import('asciinema-player')]);
    const startMs = Date.parse(rec.startedAt);
    const endMs = rec.endedAt ? Date.parse(rec.endedAt) : Date.now();
    const inSession = history.markers
      .map((m) => ({ ...m, at: (runStartMs + m.tMs - startMs) / 1000 }))
      .filter((m) => m.at >= 0 && m.at <= (endMs - startMs) / 1000 + 1)
      .sort((a, b) => a.at - b.at);
    player = create({ data: cast }, stage, {
      fit: 'width', idleTimeLimit: 2, terminalFontSize: 'small', preload: true, controls: true, markers: inSession.map((m) => [m.at, m.label] as [number, string]),
    });
    replaceChildren(markerList, inSession.map((m, i) => h('li', { 'data-kind': m.kind },
      h('button', { type: 'button', class: 'link marker-seek', onclick: () => void player?.seek({ marker: i }) }, `${formatClock(m.tMs)} ${m.label}`))));
    status.textContent = `${rec.vm}, opened by ${rec.openedBy} (${rec.role}); ${inSession.length} event${inSession.length === 1 ? '' : 's'} on its timeline.`;
  };

  const picker = h('div', { class: 'replay-picker' }, recordings.map((r) => h('button', {
    type: 'button', class: 'button', 'data-session': r.id, onclick: () => void open(r).catch((e: unknown) => { status.textContent = e instanceof Error ? e.message : String(e); }),
  }, `${r.vm} · ${r.openedBy.replace(/ \(.*\)$/, '')} · ${r.startedAt.slice(11, 19)}`)));
  const el = h('section', { class: 'panel replay', 'aria-labelledby': 'replay-title' },
    h('h2', { id: 'replay-title' }, 'Replay'),
    recordings.length ? picker : h('p', { class: 'muted' }, 'No terminal session was recorded for this run.'),
    status, stage, markerList);
  const first = recordings.find((r) => r.role === 'trainee') ?? recordings[0];
  if (first) void open(first).catch((e: unknown) => { status.textContent = e instanceof Error ? e.message : String(e); });
  return { el, dispose: () => player?.dispose() };
}
