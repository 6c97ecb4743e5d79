/**
 * Webhooks: run and game-day events POSTed as JSON to configured URLs, signed with
 * HMAC-SHA256 (`x-pudu-signature: sha256=<hex>` over `<timestamp>.<body>`), retried with
 * exponential backoff, every attempt in the delivery log. Delivery never blocks the run:
 * the bus listener only queues.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { PuduError, WEBHOOK_EVENT_KINDS, type WebhookDelivery } from '@pudu/schema';
import type { EventBus } from '../runner/event-bus.ts';
import type { WebhookRecord, WebhookStore } from './webhook-store.ts';

export interface WebhookConfig { url: string; events?: string[]; secret: string }
export interface WebhookOptions {
  /** Attempts per delivery (the first included). */
  attempts?: number;
  /** Delay before the first retry; doubles each time. */
  backoffMs?: number;
  timeoutMs?: number;
}

const DEFAULTS = { attempts: 5, backoffMs: 2000, timeoutMs: 5000 };
const KINDS = new Set<string>(WEBHOOK_EVENT_KINDS);

/** The signature a receiver recomputes: HMAC-SHA256(secret, `${timestamp}.${body}`), hex. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class Webhooks {
  private readonly config: WebhookRecord[];
  private readonly opts: typeof DEFAULTS;
  private readonly inFlight = new Set<Promise<void>>();
  private unsubscribe: (() => void) | null = null;
  private closed = false;
  private readonly stopping = new AbortController();

  constructor(readonly store: WebhookStore, private readonly bus: EventBus, config: WebhookConfig[], opts: WebhookOptions, private readonly log: (m: string) => void) {
    this.opts = { ...DEFAULTS, ...opts };
    const at = new Date().toISOString();
    this.config = config.map((c, i) => ({ id: `config-${i + 1}`, url: c.url, events: c.events?.length ? c.events : ['*'], secret: c.secret, source: 'config', createdAt: at }));
  }

  start(): void {
    this.unsubscribe = this.bus.subscribe('*', (ev) => {
      if (KINDS.has(ev.kind)) void this.emit(ev.kind, ev.runId, ev.data, ev.at);
    });
  }

  async list(): Promise<WebhookRecord[]> {
    return [...this.config, ...(await this.store.list())];
  }

  async add(c: WebhookConfig): Promise<WebhookRecord> {
    const h: WebhookRecord = { id: `wh${randomBytes(4).toString('hex')}`, url: c.url, events: c.events?.length ? c.events : ['*'], secret: c.secret, source: 'api', createdAt: new Date().toISOString() };
    await this.store.add(h);
    return h;
  }

  async remove(id: string): Promise<WebhookRecord> {
    const h = (await this.list()).find((x) => x.id === id);
    if (!h) throw new PuduError('NOT_FOUND', `no webhook ${id}`);
    if (h.source === 'config') throw new PuduError('CONFLICT', `webhook ${id} comes from the server's configuration; change the configuration instead`);
    await this.store.remove(id);
    return h;
  }

  /** Queues one delivery per interested webhook (also for events that are not run events, e.g. a game day). */
  async emit(kind: string, runId: string | null, data: Record<string, unknown>, at = new Date().toISOString()): Promise<void> {
    if (this.closed) return;
    const hooks = (await this.list().catch(() => this.config)).filter((h) => h.events.includes('*') || h.events.includes(kind));
    for (const h of hooks) {
      const now = new Date().toISOString();
      const d: WebhookDelivery = { id: `d${randomBytes(6).toString('hex')}`, webhookId: h.id, url: h.url, kind, runId, state: 'pending', attempts: 0, lastStatus: null, lastError: null, createdAt: now, updatedAt: now };
      const body = JSON.stringify({ id: d.id, kind, at, runId, data });
      const p = this.deliver(h, d, body).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  private async deliver(h: WebhookRecord, d: WebhookDelivery, body: string): Promise<void> {
    await this.store.putDelivery(d).catch((e: unknown) => this.log(`webhook log: ${String(e)}`));
    for (let attempt = 1; attempt <= this.opts.attempts && !this.closed; attempt++) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      d.attempts = attempt;
      try {
        const res = await fetch(h.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'pudu-webhooks', 'x-pudu-event': d.kind, 'x-pudu-delivery': d.id, 'x-pudu-timestamp': timestamp, 'x-pudu-signature': signWebhook(h.secret, timestamp, body) },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs),
          redirect: 'manual',
        });
        await res.arrayBuffer().catch(() => undefined);
        d.lastStatus = res.status;
        d.lastError = res.ok ? null : `HTTP ${res.status}`;
        if (res.ok) d.state = 'delivered';
      } catch (e) {
        d.lastStatus = null;
        d.lastError = e instanceof Error ? (e.name === 'TimeoutError' ? `timed out after ${this.opts.timeoutMs} ms` : e.cause instanceof Error ? e.cause.message : e.message) : String(e);
      }
      if (d.state !== 'delivered' && attempt === this.opts.attempts) d.state = 'failed';
      d.updatedAt = new Date().toISOString();
      await this.store.putDelivery(d).catch((e: unknown) => this.log(`webhook log: ${String(e)}`));
      if (d.state !== 'pending') return;
      await this.sleep(this.opts.backoffMs * 2 ** (attempt - 1));
    }
  }

  /** Waits between attempts; cut short when the server stops. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.stopping.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }

  /** Stops listening; deliveries still pending are left in the log as they are. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    this.closed = true;
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}
