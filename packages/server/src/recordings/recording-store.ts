/**
 * Recordings live in the run's database (SQLite or PostgreSQL) beside its events: a row
 * per session and its asciicast text in appended chunks, so a recording survives a server
 * restart, is backed up with the run, and is deleted with it.
 */
import type { RecordingInfo } from '@pudu/schema';
import type { SqlDb } from '../store/sql-db.ts';

type Row = Record<string, unknown>;

function infoOf(r: Row): RecordingInfo {
  return {
    id: String(r.id), runId: String(r.run_id), vm: String(r.vm), openedBy: String(r.opened_by), role: String(r.role),
    startedAt: String(r.started_at), endedAt: (r.ended_at as string | null) ?? null, bytes: Number(r.bytes), truncated: Number(r.truncated) === 1,
  };
}

export class RecordingStore {
  constructor(private readonly db: SqlDb) {}

  async create(info: Omit<RecordingInfo, 'endedAt' | 'bytes' | 'truncated'>, headerLine: string): Promise<void> {
    await this.db.run(
      'INSERT INTO recordings (id, run_id, vm, opened_by, role, started_at, ended_at, bytes, truncated) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, 0)',
      [info.id, info.runId, info.vm, info.openedBy, info.role, info.startedAt, Buffer.byteLength(headerLine)],
    );
    await this.db.run('INSERT INTO recording_chunks (recording_id, run_id, data) VALUES (?, ?, ?)', [info.id, info.runId, headerLine]);
  }

  /** Appends event lines; `bytes` is the recording's new total size. */
  async append(id: string, runId: string, data: string, bytes: number, truncated: boolean): Promise<void> {
    if (data) await this.db.run('INSERT INTO recording_chunks (recording_id, run_id, data) VALUES (?, ?, ?)', [id, runId, data]);
    await this.db.run('UPDATE recordings SET bytes = ?, truncated = ? WHERE id = ?', [bytes, truncated ? 1 : 0, id]);
  }

  async end(id: string, at: string): Promise<void> {
    await this.db.run('UPDATE recordings SET ended_at = ? WHERE id = ? AND ended_at IS NULL', [at, id]);
  }

  /** Sessions a server crash or restart left open are closed at the next start. */
  async endAllOpen(at: string): Promise<void> {
    await this.db.run('UPDATE recordings SET ended_at = ? WHERE ended_at IS NULL', [at]);
  }

  async list(runId: string): Promise<RecordingInfo[]> {
    return (await this.db.all('SELECT * FROM recordings WHERE run_id = ? ORDER BY started_at, id', [runId])).map(infoOf);
  }

  async get(runId: string, id: string): Promise<RecordingInfo | null> {
    const rows = await this.db.all('SELECT * FROM recordings WHERE run_id = ? AND id = ?', [runId, id]);
    return rows[0] ? infoOf(rows[0]) : null;
  }

  /** The whole asciicast document. */
  async read(id: string): Promise<string> {
    const rows = await this.db.all<{ data: string }>('SELECT data FROM recording_chunks WHERE recording_id = ? ORDER BY seq', [id]);
    return rows.map((r) => r.data).join('');
  }

  async usedBytes(runId: string): Promise<number> {
    const rows = await this.db.all<{ n: number | string | null }>('SELECT SUM(bytes) AS n FROM recordings WHERE run_id = ?', [runId]);
    return Number(rows[0]?.n ?? 0);
  }

  async deleteRun(runId: string): Promise<void> {
    await this.db.run('DELETE FROM recording_chunks WHERE run_id = ?', [runId]);
    await this.db.run('DELETE FROM recordings WHERE run_id = ?', [runId]);
  }
}
