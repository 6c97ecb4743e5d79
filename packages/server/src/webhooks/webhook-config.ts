/**
 * Webhooks given to `pudu server`: `--webhook URL` (every event, signed with
 * $PUDU_WEBHOOK_SECRET) and `--webhooks-file FILE` (a JSON list of {url, events, secret}),
 * validated with the API's own schema so a bad entry is refused with its place.
 */
import { readFileSync } from 'node:fs';
import { PuduError, WebhookCreateSchema } from '@pudu/schema';
import type { WebhookConfig } from './webhooks.ts';

export function webhooksFromOptions(urls: string[], file: string | undefined, env: NodeJS.ProcessEnv = process.env): WebhookConfig[] {
  const out: WebhookConfig[] = [];
  if (urls.length) {
    const secret = env.PUDU_WEBHOOK_SECRET;
    if (!secret) throw new PuduError('BAD_REQUEST', '--webhook needs a signing secret: set PUDU_WEBHOOK_SECRET (16+ characters), or give each hook a secret in --webhooks-file');
    for (const url of urls) out.push(parseEntry({ url, secret }, `--webhook ${url}`));
  }
  if (file) {
    let list: unknown;
    try {
      list = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new PuduError('BAD_REQUEST', `${file}: not readable JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(list)) throw new PuduError('BAD_REQUEST', `${file}: expected a JSON list of {url, events, secret}`);
    list.forEach((entry, i) => out.push(parseEntry(entry, `${file}[${i}]`)));
  }
  return out;
}

function parseEntry(entry: unknown, where: string): WebhookConfig {
  const r = WebhookCreateSchema.safeParse(entry);
  if (!r.success) throw new PuduError('BAD_REQUEST', `${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ')}`);
  return r.data;
}
