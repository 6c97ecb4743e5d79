/** The free-text notes of a run (trainee's account, instructor's feedback), kept with it. */
import type { RunNotes } from '@pudu/schema';
import type { SqlDb } from '../store/sql-db.ts';

const EMPTY: RunNotes = { trainee: '', instructor: { feedback: '', actionItems: [], runbookLinks: [] }, updatedAt: null, updatedBy: null };

export class NotesStore {
  constructor(private readonly db: SqlDb) {}

  async get(runId: string): Promise<RunNotes> {
    const r = (await this.db.all<Record<string, string | null>>('SELECT * FROM run_notes WHERE run_id = ?', [runId]))[0];
    if (!r) return structuredClone(EMPTY);
    return { trainee: r.trainee ?? '', instructor: JSON.parse(r.instructor ?? '{}') as RunNotes['instructor'], updatedAt: r.updated_at ?? null, updatedBy: r.updated_by ?? null };
  }

  async put(runId: string, notes: RunNotes): Promise<void> {
    await this.db.run(
      `INSERT INTO run_notes (run_id, trainee, instructor, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET trainee = excluded.trainee, instructor = excluded.instructor, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [runId, notes.trainee, JSON.stringify(notes.instructor), notes.updatedAt, notes.updatedBy],
    );
  }

  async deleteRun(runId: string): Promise<void> {
    await this.db.run('DELETE FROM run_notes WHERE run_id = ?', [runId]);
  }
}
