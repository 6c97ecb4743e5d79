/** The scenario library on disk and the proofs beside its scenarios. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioProof } from './proof.ts';

export const LIBRARY_DIR = 'scenarios';
/** Hints must lead to a diagnosis, never to the agent, its port, fault ids or VM addresses. */
export const FORBIDDEN_IN_HINTS = /7777|fault|agent|172\.16\./i;

export function libraryFiles(): string[] {
  return readdirSync(LIBRARY_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(LIBRARY_DIR, f))
    .sort();
}

export async function loadProof(yamlFile: string): Promise<ScenarioProof | undefined> {
  const file = yamlFile.replace(/\.yaml$/, '.proof.ts');
  if (!existsSync(file)) return undefined;
  return ((await import(join(process.cwd(), file))) as { default: ScenarioProof }).default;
}

