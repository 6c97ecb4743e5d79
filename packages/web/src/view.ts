// What every view gets and gives: the app context in, an element and a dispose() out.
import type { PuduClient } from '@pudu/client';
import type { WhoAmI } from './view-model.ts';

export interface AppContext {
  client: PuduClient;
  identity: WhoAmI;
  /** Shows a short message in the status region (read by screen readers). */
  notify(message: string, kind?: 'info' | 'error' | 'success'): void;
}

export interface View {
  el: HTMLElement;
  /** Stops timers, streams and sockets; called when the route changes. */
  dispose(): void;
}

/** True for roles that may start runs, issue tokens and watch trainees. */
export function canInstruct(identity: WhoAmI): boolean {
  return identity.role === 'admin' || identity.role === 'instructor';
}
