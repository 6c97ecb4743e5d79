// One VM's terminal: xterm.js over the terminal WebSocket (binary data frames, JSON resize frames),
// reconnecting with backoff and showing its connection state. Read-only terminals (an
// instructor dropping in) ask the server for a read-only stream and ignore keystrokes.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import type { PuduClient } from '@pudu/client';
import { h } from '../dom.ts';

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 8000;
/** Close codes meaning "do not retry": auth failures and a VM that does not exist. */
const FATAL_CLOSE_CODES = new Set([1008, 4001, 4003, 4004, 4401, 4403, 4404]);
/** Keystrokes typed while (re)connecting are kept up to this size and sent on open. */
const PENDING_INPUT_MAX_BYTES = 4096;

export type TerminalStatus = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface TerminalOptions {
  vmIndex: number;
  vmName: string;
  /** Builds the socket's URL and carries the token as its subprotocol (never in the URL). */
  client: PuduClient;
  readOnly: boolean;
  /** A watcher who may take the keyboard (admin, instructor): shows the button. */
  canTakeKeyboard?: boolean;
}

export interface VmTerminal {
  el: HTMLElement;
  /** Fits the terminal to its box (call when it becomes visible). */
  fit(): void;
  focus(): void;
  status(): TerminalStatus;
  /** The run ended: no more reconnects; an open session stays until the server closes it. */
  end(reason: string): void;
  dispose(): void;
}

export function createTerminal(options: TerminalOptions): VmTerminal {
  const term = new Terminal({
    cursorBlink: !options.readOnly,
    disableStdin: options.readOnly,
    convertEol: false,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    scrollback: 5000,
    theme: { background: '#0d1117', foreground: '#e6edf3', cursor: '#e6edf3' },
  });
  const fitAddon = new FitAddon();
  term.loadAddon(fitAddon);

  const statusText = h('span', { class: 'term-status-text' }, 'connecting…');
  const retry = h('button', { type: 'button', class: 'term-retry', hidden: true }, 'Reconnect now');
  const statusBar = h('div', { class: 'term-status', 'data-status': 'connecting', role: 'status', 'aria-live': 'polite' },
    h('span', { class: 'term-dot', 'aria-hidden': 'true' }),
    h('span', { class: 'term-name' }, options.vmName),
    options.readOnly ? h('span', { class: 'badge readonly' }, 'read-only') : null,
    statusText, retry);
  // Who holds the keyboard and who watches: the trainee sees it, as do the watchers.
  const keyboardBadge = h('span', { class: 'badge term-keyboard', hidden: true, 'data-testid': 'keyboard-badge' });
  const noticeText = h('span', { class: 'term-notice muted small' });
  const takeButton = h('button', { type: 'button', class: 'term-take', hidden: !(options.readOnly && options.canTakeKeyboard) }, 'Take the keyboard');
  statusBar.append(keyboardBadge, takeButton, noticeText);
  let holding = false;
  /** A watcher mirrors the pty's size (the trainee's), instead of fitting its own box. */
  let mirrored = false;
  const screen = h('div', { class: 'term-screen', 'data-vm': options.vmName });
  const el = h('div', { class: 'terminal' }, statusBar, screen);

  let ws: WebSocket | null = null;
  let state: TerminalStatus = 'connecting';
  let disposed = false;
  /** Set when the run is over: the session may finish, but is never re-opened. */
  let endReason: string | null = null;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let opened = false;
  const encoder = new TextEncoder();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;

  const sendInput = (bytes: Uint8Array): void => {
    if (options.readOnly && !holding) return;
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(bytes);
    } else if (pendingBytes + bytes.length <= PENDING_INPUT_MAX_BYTES) {
      pending.push(bytes);
      pendingBytes += bytes.length;
    }
  };

  const setStatus = (s: TerminalStatus, text: string): void => {
    state = s;
    statusBar.dataset.status = s;
    statusText.textContent = text;
    retry.hidden = s === 'connected' || s === 'connecting' || endReason !== null;
  };

  const sendResize = (): void => {
    if (ws && ws.readyState === WebSocket.OPEN && !options.readOnly) {
      ws.send(JSON.stringify({ type: 'resize', cols: term.cols, rows: term.rows }));
    }
  };

  const connect = (): void => {
    if (disposed || endReason) return;
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    setStatus(attempt === 0 ? 'connecting' : 'reconnecting', attempt === 0 ? 'connecting…' : 'reconnecting…');
    const url = options.client.terminalUrl(options.vmIndex, { cols: term.cols, rows: term.rows, readOnly: options.readOnly });
    const socket = new WebSocket(url, options.client.terminalProtocols());
    socket.binaryType = 'arraybuffer';
    ws = socket;
    socket.onopen = () => {
      if (ws !== socket) return;
      attempt = 0;
      setStatus('connected', 'connected');
      sendResize();
      for (const bytes of pending) socket.send(bytes);
      pending = [];
      pendingBytes = 0;
    };
    socket.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data === 'string') {
        // Text frames are control messages (JSON); anything else is shown as output.
        try {
          const msg = JSON.parse(ev.data) as { type?: string; message?: string; holder?: string | null; watchers?: number; cols?: number; rows?: number };
          if (msg.type === 'error' && msg.message) term.write(`\r\n\x1b[31m[pudu] ${msg.message}\x1b[0m\r\n`);
          else if (msg.type === 'notice' && msg.message) noticeText.textContent = msg.message;
          else if (msg.type === 'size' && msg.cols && msg.rows && options.readOnly) {
            mirrored = true;
            term.resize(msg.cols, msg.rows);
          } else if (msg.type === 'keyboard') {
            const watching = msg.watchers ? `${msg.watchers} watching` : '';
            keyboardBadge.hidden = !msg.holder && !msg.watchers;
            keyboardBadge.textContent = [msg.holder ? `${msg.holder} has the keyboard` : '', watching].filter(Boolean).join(' · ');
            keyboardBadge.dataset.holder = msg.holder ?? '';
          }
        } catch {
          term.write(ev.data);
        }
        return;
      }
      term.write(new Uint8Array(ev.data as ArrayBuffer));
    };
    socket.onclose = (ev: CloseEvent) => {
      if (ws !== socket || disposed) return;
      ws = null;
      if (endReason) {
        setStatus('closed', endReason);
        return;
      }
      if (FATAL_CLOSE_CODES.has(ev.code)) {
        setStatus('closed', `closed: ${ev.reason || `code ${ev.code}`}`);
        return;
      }
      const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** attempt);
      attempt += 1;
      setStatus('reconnecting', `disconnected${ev.reason ? ` (${ev.reason})` : ''}; retrying in ${Math.ceil(delay / 1000)} s`);
      retryTimer = setTimeout(connect, delay);
    };
  };

  term.onData((data) => sendInput(encoder.encode(data)));
  term.onBinary((data) => sendInput(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
  term.onResize(() => sendResize());
  retry.addEventListener('click', () => {
    attempt = 0;
    ws?.close();
    ws = null;
    connect();
  });

  takeButton.addEventListener('click', () => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    holding = !holding;
    ws.send(JSON.stringify({ type: holding ? 'take-keyboard' : 'release-keyboard' }));
    takeButton.textContent = holding ? 'Give the keyboard back' : 'Take the keyboard';
    term.options.disableStdin = !holding;
    if (holding) term.focus();
  });

  const resizeObserver = new ResizeObserver(() => {
    if (screen.offsetParent !== null && !mirrored) fitAddon.fit();
  });

  return {
    el,
    fit() {
      if (screen.offsetParent === null) return;
      if (!opened) {
        term.open(screen);
        opened = true;
        resizeObserver.observe(screen);
        fitAddon.fit();
        // Connect after the first fit so the shell starts with the screen's real size.
        connect();
        return;
      }
      fitAddon.fit();
    },
    focus: () => term.focus(),
    status: () => state,
    end(reason) {
      if (disposed || endReason) return;
      endReason = reason;
      if (retryTimer) clearTimeout(retryTimer);
      // An open session keeps showing output (the last command's) until the server closes it.
      if (ws && ws.readyState === WebSocket.OPEN) return;
      ws?.close();
      ws = null;
      setStatus('closed', reason);
    },
    dispose() {
      disposed = true;
      if (retryTimer) clearTimeout(retryTimer);
      resizeObserver.disconnect();
      ws?.close(1000, 'closed by the page');
      ws = null;
      term.dispose();
    },
  };
}
