import { readFile } from 'node:fs/promises';
import { GreenprintError, METHODOLOGY_VERSION } from '../core/index.js';
import type { Methodology, MethodologySection } from './apiTypes.js';

/** docs/methodology.md beside the sources (a checkout), or the copy the web build ships (a package). */
export const METHODOLOGY_CANDIDATES = [new URL('../../docs/methodology.md', import.meta.url)];

/** Reads the methodology document from the first location that has it. */
export async function methodologyView(candidates: readonly URL[]): Promise<Methodology> {
  for (const url of candidates) {
    let markdown: string;
    try {
      markdown = await readFile(url, 'utf8');
    } catch {
      continue;
    }
    return { version: METHODOLOGY_VERSION, source: url.pathname, markdown, sections: sectionsOf(markdown) };
  }
  throw new GreenprintError(
    'not_found',
    `docs/methodology.md was not found (looked in ${candidates.map((u) => u.pathname).join(', ')}). Run npm run build to copy it into the web build.`,
  );
}

export function sectionsOf(markdown: string): MethodologySection[] {
  const sections: MethodologySection[] = [];
  const used = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = fenced ? null : /^(#{2,3})\s+(.+?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const title = (m[2] as string).trim();
    const numbered = /^(\d+[a-z]?)\.\s/.exec(title);
    const base = numbered
      ? `s-${numbered[1]}`
      : `s-${title
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, '')}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    sections.push({ id, level: (m[1] as string).length, title });
  }
  return sections;
}
