/**
 * Importing usage from files: JSON Lines of usage events, CSV with common column names, OpenAI Usage API
 * exports and provider invoices. Formats and column mapping: docs/examples/README.md.
 */
export { detectFormat } from './detectFormat.js';
export { parseMapFlags } from './parseMapFlags.js';
export { readEvents } from './readEvents.js';
export { IMPORT_FORMATS, type ImportFormat, type ImportItem, type ReadOptions } from './types.js';
