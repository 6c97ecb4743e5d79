/**
 * asciicast v2 (the asciinema format): a JSON header line, then one `[seconds, code, data]`
 * line per event — "o" output, "i" input, "r" resize ("COLSxROWS"). Bytes are decoded as
 * UTF-8 per direction, so a character split across two chunks is never broken in two.
 */
import { StringDecoder } from 'node:string_decoder';

export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  /** Unix seconds of the first event's time zero. */
  timestamp: number;
  title?: string;
  env?: Record<string, string>;
}

export type AsciicastCode = 'o' | 'i' | 'r';
export type AsciicastEvent = [number, AsciicastCode, string];

/** Turns a session's byte streams into asciicast lines (each ends in "\n"). */
export class AsciicastWriter {
  private readonly decoders: Record<'o' | 'i', StringDecoder> = { o: new StringDecoder('utf8'), i: new StringDecoder('utf8') };

  constructor(readonly header: AsciicastHeader, private readonly startMs: number) {}

  headerLine(): string {
    return `${JSON.stringify(this.header)}\n`;
  }

  /** One event line at wall-clock `atMs`; '' when the bytes end mid-character (kept for the next chunk). */
  line(atMs: number, code: AsciicastCode, data: Buffer | string): string {
    const text = code === 'r' || typeof data === 'string' ? String(data) : this.decoders[code].write(data);
    if (text === '') return '';
    const t = Math.max(0, atMs - this.startMs) / 1000;
    return `${JSON.stringify([Number(t.toFixed(6)), code, text])}\n`;
  }
}

/** Parses an asciicast v2 document; throws on anything that is not one. */
export function parseAsciicast(text: string): { header: AsciicastHeader; events: AsciicastEvent[] } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = JSON.parse(lines[0] ?? 'null') as AsciicastHeader | null;
  if (!header || header.version !== 2) throw new Error('not an asciicast v2 document (header version is not 2)');
  const events = lines.slice(1).map((l, i) => {
    const e = JSON.parse(l) as unknown;
    if (!Array.isArray(e) || typeof e[0] !== 'number' || typeof e[1] !== 'string' || typeof e[2] !== 'string') throw new Error(`line ${i + 2}: not an [time, code, data] event`);
    return e as AsciicastEvent;
  });
  return { header, events };
}
