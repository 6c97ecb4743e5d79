/** Webhooks added through the API, and the delivery log of every webhook. */
import type { WebhookDelivery } from '@pudu/schema';
import type { SqlDb } from '../store/sql-db.ts';

export interface WebhookRecord { id: string; url: string; events: string[]; secret: string; source: 'config' | 'api'; createdAt: string }

type Row = Record<string, unknown>;
const deliveryOf = (r: Row): WebhookDelivery => ({
  id: String(r.id), webhookId: String(r.webhook_id), url: String(r.url), kind: String(r.kind), runId: (r.run_id as string | null) ?? null,
  state: r.state as WebhookDelivery['state'], attempts: Number(r.attempts), lastStatus: r.last_status === null || r.last_status === undefined ? null : Number(r.last_status),
  lastError: (r.last_error as string | null) ?? null, createdAt: String(r.created_at), updatedAt: String(r.updated_at),
});

export class WebhookStore {
  constructor(private readonly db: SqlDb) {}

  async list(): Promise<WebhookRecord[]> {
    return (await this.db.all('SELECT * FROM webhooks ORDER BY created_at')).map((r) => ({
      id: String(r.id), url: String(r.url), events: JSON.parse(String(r.events)) as string[], secret: String(r.secret), source: 'api' as const, createdAt: String(r.created_at),
    }));
  }

  async add(h: WebhookRecord): Promise<void> {
    await this.db.run('INSERT INTO webhooks (id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?)', [h.id, h.url, JSON.stringify(h.events), h.secret, h.createdAt]);
  }

  async remove(id: string): Promise<void> {
    await this.db.run('DELETE FROM webhooks WHERE id = ?', [id]);
  }

  async putDelivery(d: WebhookDelivery): Promise<void> {
    await this.db.run(
      `INSERT INTO webhook_deliveries (id, webhook_id, url, kind, run_id, state, attempts, last_status, last_error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, attempts = excluded.attempts, last_status = excluded.last_status, last_error = excluded.last_error, updated_at = excluded.updated_at`,
      [d.id, d.webhookId, d.url, d.kind, d.runId, d.state, d.attempts, d.lastStatus, d.lastError, d.createdAt, d.updatedAt],
    );
  }

  async deliveries(limit: number): Promise<WebhookDelivery[]> {
    return (await this.db.all('SELECT * FROM webhook_deliveries ORDER BY created_at DESC, id DESC LIMIT ?', [limit])).map(deliveryOf);
  }
}
