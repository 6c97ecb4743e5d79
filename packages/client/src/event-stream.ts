/**
 * Reads a run's SSE stream with eventsource-parser (CRLF, multi-line data, `id:` and
 * comments handled by a kept library, not by hand). Each `data:` is a RunEvent as JSON.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { RunEventSchema, type RunEvent } from '@pudu/schema';
import { PuduApiError } from './api-error.ts';

/** Bound on one event's buffered text: a stream that never ends an event is not the server. */
const MAX_EVENT_CHARS = 1024 * 1024;

/** Calls `onEvent` per event until the stream ends; events at or before `after` are skipped. */
export async function readRunEvents(body: ReadableStream<Uint8Array>, after: number, onEvent: (e: RunEvent) => void): Promise<void> {
  const events = body
    .pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream({ maxBufferSize: MAX_EVENT_CHARS }));
  const reader = events.getReader();
  let last = after;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    let json: unknown;
    try {
      json = JSON.parse(value.data);
    } catch {
      throw new PuduApiError(200, 'BAD_RESPONSE', `event stream: an event's data is not JSON (${value.data.slice(0, 80)})`);
    }
    const parsed = RunEventSchema.safeParse(json);
    if (!parsed.success) throw new PuduApiError(200, 'BAD_RESPONSE', `event stream: event ${value.id ?? '?'} does not match the API contract`);
    if (parsed.data.seq <= last) continue;
    last = parsed.data.seq;
    onEvent(parsed.data);
  }
}
