import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = resolve(import.meta.dirname, '../src/core');
/** The only runtime package core may import: the schema/validation library (tests beside the code are not runtime). */
const ALLOWED_PACKAGES = new Set(['zod']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? files(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/** Every module specifier in a file: static imports, re-exports and dynamic import(). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const p of patterns) for (const m of source.matchAll(p)) found.push(m[1] as string);
  return found;
}

function violations(file: string): string[] {
  return specifiers(readFileSync(file, 'utf8')).filter((spec) => {
    if (spec.startsWith('.')) return relative(CORE, resolve(file, '..', spec)).startsWith('..');
    return !ALLOWED_PACKAGES.has(spec);
  });
}

describe('core purity', () => {
  it('src/core imports nothing outside core except zod', () => {
    const bad = files(CORE).flatMap((f) => violations(f).map((v) => `${relative(CORE, f)} → ${v}`));
    expect(bad).toEqual([]);
  });

  it('the check catches forbidden imports', () => {
    expect(
      specifiers(
        "import { readFileSync } from 'node:fs';\nexport * from '../data/x.js';\nawait import('pg');",
      ),
    ).toEqual(['node:fs', '../data/x.js', 'pg']);
  });
});
