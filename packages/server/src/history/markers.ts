/**
 * A run's events as markers on its clock (charts, the replay's timeline, the report).
 * Faults name the incident's cause: they are only shown to staff, or once the run is over.
 */
import type { RunEvent, TimelineMarker } from '@pudu/schema';

function str(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/** Markers for the events of a run that started at `startedAtMs`. */
export function markersOf(events: RunEvent[], startedAtMs: number, revealFaults: boolean): TimelineMarker[] {
  const out: TimelineMarker[] = [];
  for (const e of events) {
    const tMs = Date.parse(e.at) - startedAtMs;
    const d = e.data;
    const vm = str(d.vm) || null;
    const add = (kind: TimelineMarker['kind'], label: string): void => void out.push({ tMs, kind, label, vm });
    switch (e.kind) {
      case 'fault.applied': if (revealFaults) add('fault', `fault ${str(d.id)} (${str(d.type)}) on ${str(d.vm)}`); break;
      case 'fault.reverted': if (revealFaults) add('fault-end', `fault ${str(d.id)} reverted (${str(d.why)})`); break;
      case 'alert.fired': add('alert', `alert ${str(d.name)} (${str(d.severity)})`); break;
      case 'hint.taken': add('hint', `hint ${Number(d.index) + 1} taken`); break;
      case 'objective.passed': add('objective-passed', `objective ${str(d.id)} passing`); break;
      case 'objective.failing': add('objective-failing', `objective ${str(d.id)} failing`); break;
      case 'terminal.keyboard-taken': add('keyboard', `${str(d.by)} took the keyboard on ${str(d.vm)}`); break;
      case 'terminal.keyboard-released': add('keyboard', `${str(d.by)} gave the keyboard back`); break;
      case 'run.resolved': add('resolved', 'resolved'); break;
      case 'run.aborted': case 'run.expired': case 'run.failed': add('ended', e.kind.replace('run.', 'run ')); break;
      default: break;
    }
  }
  return out.filter((m) => m.tMs >= 0 || m.kind === 'alert');
}
