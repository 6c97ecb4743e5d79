/** Checks shared by the report tests: blameless wording, and a PDF page that is not blank. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Words that judge a person; a blameless report describes the system and the exercise. */
const BLAMING = /\b(fault of|blame|careless|mistake|should have|failed to|incompetent|negligent|wrong(ly)? did)\b/i;

export function assertBlameless(text: string): void {
  const m = BLAMING.exec(text);
  assert.equal(m, null, `blaming wording in the report: "${m?.[0]}" near ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 60), (m?.index ?? 0) + 60))}`);
}

/** Renders page 1 with pdftoppm (grayscale PGM) and returns the share of non-white pixels. */
export async function inkOnFirstPage(pdfPath: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-pdf-'));
  try {
    await run('pdftoppm', ['-gray', '-r', '40', '-f', '1', '-l', '1', pdfPath, join(dir, 'page')], { timeout: 60_000 });
    const file = readdirSync(dir).find((f) => f.endsWith('.pgm'));
    assert.ok(file, 'pdftoppm wrote page 1');
    const pgm = readFileSync(join(dir, file));
    // P5 header: magic, width, height, maxval, each followed by whitespace.
    const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 64).toString('latin1'));
    assert.ok(header, 'a binary PGM');
    const pixels = pgm.subarray(header[0].length);
    let ink = 0;
    for (const p of pixels) if (p < 200) ink++;
    return ink / pixels.length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
