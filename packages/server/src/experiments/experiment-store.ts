/** Experiments in their own table (one JSON document each), on SQLite or PostgreSQL alike. */
import type { SqlDb } from '../store/sql-db.ts';
import type { ExperimentDoc } from './experiment-doc.ts';

export class ExperimentStore {
  constructor(private readonly db: SqlDb) {}

  async put(doc: ExperimentDoc): Promise<void> {
    await this.db.run(
      `INSERT INTO experiments (id, state, created_at, doc) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, doc = excluded.doc`,
      [doc.id, doc.state, doc.createdAt, JSON.stringify(doc)],
    );
  }

  async get(id: string): Promise<ExperimentDoc | null> {
    const rows = await this.db.all<{ doc: string }>('SELECT doc FROM experiments WHERE id = ?', [id]);
    return rows[0] ? (JSON.parse(rows[0].doc) as ExperimentDoc) : null;
  }

  async list(): Promise<ExperimentDoc[]> {
    const rows = await this.db.all<{ doc: string }>('SELECT doc FROM experiments ORDER BY created_at DESC');
    return rows.map((r) => JSON.parse(r.doc) as ExperimentDoc);
  }
}
