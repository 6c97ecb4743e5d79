/**
 * Launches Debian's chromium through playwright-core (see ../shared/notes/host-facts.md),
 * records every request the page makes, and writes screenshots to test-artifacts/web/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.PUDU_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts', 'web');

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Every URL the browser asked for (documents, scripts, XHR/fetch, WebSockets). */
  requests: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Opens a fresh chromium profile at a given viewport. */
export async function openBrowser(viewport = { width: 1280, height: 800 }): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no browser at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install -y chromium) or set PUDU_CHROMIUM`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'pudu-web-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  const requests: string[] = [];
  const errors: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('websocket', (ws) => requests.push(ws.url()));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return {
    context,
    page,
    requests,
    errors,
    async screenshot(name) {
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: false });
      return path;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Hosts (host:port) other than `allowedOrigin`'s among the recorded requests. */
export function foreignRequests(requests: string[], allowedOrigin: string): string[] {
  const allowed = new URL(allowedOrigin).host;
  return requests.filter((u) => {
    if (u.startsWith('data:') || u.startsWith('blob:') || u === 'about:blank') return false;
    try {
      return new URL(u).host !== allowed;
    } catch {
      return true;
    }
  });
}

/** The visible text of the xterm screen inside `selector`. */
export async function terminalText(page: Page, selector = '.tab-panel:not([hidden]) .xterm-rows'): Promise<string> {
  return page.locator(selector).innerText();
}

/** What has keyboard focus in the page: its id, classes and text. */
export async function focused(page: Page): Promise<{ id: string; className: string; text: string }> {
  // Strings, not functions: page code must not depend on Node-side types or tsx helpers.
  return page.evaluate(`(() => { const e = document.activeElement; return { id: e?.id ?? '', className: String(e?.className ?? ''), text: e?.textContent ?? '' }; })()`) as Promise<{ id: string; className: string; text: string }>;
}

/**
 * Polls a page expression (a string) until it is truthy. Not page.waitForFunction: that
 * compiles its predicate with eval, which the UI's CSP forbids (as it should).
 */
export async function waitUntil(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves with the wall-clock ms at which `selector` first appears (observed in the page, not polled). */
export function watchFor(s: BrowserSession, selector: string): Promise<number> {
  // A string, not a function: tsx's helpers (__name) do not exist in the page.
  return s.page.evaluate(`new Promise((resolve) => {
    const sel = ${JSON.stringify(selector)};
    const check = () => (document.querySelector(sel) ? (resolve(Date.now()), true) : false);
    if (check()) return;
    const obs = new MutationObserver(() => { if (check()) obs.disconnect(); });
    obs.observe(document.body, { subtree: true, childList: true, attributes: true });
  })`) as Promise<number>;
}
