/**
 * The 1-based line of every `{` that opens a JSON object, in document order (strings skipped). Walking the
 * parsed document depth-first in the same order pairs each object with its line, so a JSON export can
 * report the line of a bad row without a position-aware parser.
 */
export function objectStartLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) line++;
    else if (inString) {
      if (ch === 92)
        i++; // backslash: the next character is escaped (never a newline in valid JSON)
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123) lines.push(line);
  }
  return lines;
}

/** Objects of a parsed JSON value in the order their `{` appear in the text (depth-first, keys in order). */
export function objectsInDocumentOrder(value: unknown, out: object[] = []): object[] {
  if (Array.isArray(value)) {
    for (const item of value) objectsInDocumentOrder(item, out);
  } else if (typeof value === 'object' && value !== null) {
    out.push(value);
    for (const inner of Object.values(value)) objectsInDocumentOrder(inner, out);
  }
  return out;
}
