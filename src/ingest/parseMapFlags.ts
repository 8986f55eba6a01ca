import { GreenprintError } from '../core/index.js';
import { FIELD_LIST, fieldKind, resolveField } from './fieldPaths.js';

/**
 * Parses CLI `--map column=field` flags into a column -> field-path map for CSV imports.
 * The field may be a UsageEvent field path (`inputTokens`, `images.width`), a known alias (`prompt_tokens`)
 * or `tags.<name>`. Throws GreenprintError('invalid_input') naming the bad flag.
 */
export function parseMapFlags(flags: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const flag of flags) {
    // Split on the last '=': a field path never holds one, a spreadsheet column name might.
    const eq = flag.lastIndexOf('=');
    const column = flag.slice(0, Math.max(eq, 0)).trim();
    const target = flag.slice(eq + 1).trim();
    if (eq < 0 || !column || !target) {
      throw new GreenprintError(
        'invalid_input',
        `--map "${flag}" must be column=field, e.g. prompt_tokens=inputTokens.`,
      );
    }
    const field = resolveField(target);
    if (!field || !fieldKind(field)) {
      throw new GreenprintError(
        'invalid_input',
        `--map "${flag}": unknown field "${target}". Fields: ${FIELD_LIST}.`,
        { flag, field: target },
      );
    }
    if (map[column] !== undefined && map[column] !== field) {
      throw new GreenprintError(
        'invalid_input',
        `--map "${flag}": column "${column}" is already mapped to ${map[column]}.`,
      );
    }
    map[column] = field;
  }
  return map;
}
