import { readFileSync } from 'node:fs';
import { createEstimator, type ExplainStep, GreenprintError, INPUT_ERROR_CODES } from '../core/index.js';
import { loadReferenceData, readTrace } from '../data/index.js';
import { ESTIMATE_FLAGS, eventFromFlags, helpFor, parseFlags } from './args.js';
import { formatExplain, formatImpact, formatModels } from './format.js';
import { type Io, importCommand, recomputeCommand, reportCommand, serveCommand } from './ledger-commands.js';
import { scheduleCommand } from './schedule-command.js';

const MODELS_FLAGS = {
  search: { type: 'string', help: 'Only models whose id, alias or provider contains this text' },
  modality: {
    type: 'string',
    help: 'Only this modality: text, embedding, image, video, speech, transcription, music',
  },
  json: { type: 'boolean', help: 'Print JSON' },
  help: { type: 'boolean', short: 'h', help: 'Show help' },
} as const;

const USAGE = `greenprint — energy, carbon, water and cost of generative-AI calls

Usage:
  greenprint estimate --model <id> [flags]   Footprint of one call, with ranges, assumptions and warnings
  greenprint explain  --model <id> [flags]   The same, with every intermediate value, formula and source
  greenprint models   [--search text] [--json]  The model catalog
  greenprint import   <file> [flags]         Usage events into the ledger (JSONL, CSV, OpenAI usage export, invoice)
  greenprint report   [--by stage] [--view inventory|sci|process] [--format json|csv|md|html]
                                             Totals with ranges, GHG inventory, SCI, process map
  greenprint recompute                       Re-estimate stored events after a methodology change
  greenprint serve    [--port 8787] [--demo] Dashboard, OpenAI-compatible gateway with the Batch API, OTLP/HTTP
                                             receiver and ledger API on 127.0.0.1 (--demo: first run on sample data)
  greenprint schedule plan [--energy-kwh 2 | --model <id> …] [--duration 2h] [--deadline +24h] [--regions DE,GB]
                                             Greenest half-hour slots (and region) for deferrable work
  greenprint schedule simulate --jobs <csv> [--trace ZONE=file] [--forecaster anomaly-profile]
                                             Replays a job list over a trace: planned vs run-now vs oracle
  greenprint --version

Run \`greenprint <command> --help\` for a command's flags. Methodology: docs/methodology.md`;

/** Runs the CLI; resolves to the exit code (0 ok, 2 bad input, 1 internal error). */
export async function run(
  argv: string[],
  out: (s: string) => void,
  err: (s: string) => void,
  progress = false,
): Promise<number> {
  const [command, ...rest] = argv;
  const io: Io = { out, err, progress };
  try {
    switch (command) {
      case 'estimate':
      case 'explain':
        return estimateCommand(command, rest, out);
      case 'models':
        return modelsCommand(rest, out);
      case 'import':
        return await importCommand(rest, io);
      case 'report':
        return await reportCommand(rest, io);
      case 'recompute':
        return await recomputeCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'schedule':
        return await scheduleCommand(rest, io);
      case '--version':
      case '-v':
        out(version());
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return 0;
      default:
        throw new GreenprintError(
          'invalid_input',
          `Unknown command "${command}". Commands: estimate, explain, models, import, report, recompute, serve, schedule.`,
        );
    }
  } catch (error) {
    if (error instanceof GreenprintError) {
      err(`greenprint: ${error.message}`);
      return INPUT_ERROR_CODES.has(error.code) ? 2 : 1;
    }
    err(`greenprint: internal error: ${(error as Error).stack ?? error}`);
    return 1;
  }
}

function estimateCommand(command: 'estimate' | 'explain', argv: string[], out: (s: string) => void): number {
  const { values } = parseFlags(ESTIMATE_FLAGS, argv);
  if (values.help) {
    out(`greenprint ${command} --model <id> [flags]\n\n${helpFor(ESTIMATE_FLAGS)}`);
    return 0;
  }
  const { event, options } = eventFromFlags(values);
  const estimator = createEstimator(loadReferenceData());
  const explain: ExplainStep[] | undefined = command === 'explain' ? [] : undefined;
  const trace = options.tracePath ? readTrace(options.tracePath) : undefined;
  const impact = estimator.estimate(event, {
    ...options,
    ...(trace ? { trace } : {}),
    ...(explain ? { explain } : {}),
  });
  if (values.json) {
    out(JSON.stringify(explain ? { impact, steps: explain } : impact, roundNumbers, 2));
  } else {
    out(formatImpact(impact));
    if (explain) out(`\n${formatExplain(explain)}`);
  }
  return 0;
}

function modelsCommand(argv: string[], out: (s: string) => void): number {
  const { values } = parseFlags(MODELS_FLAGS, argv);
  if (values.help) {
    out(`greenprint models [flags]\n\n${helpFor(MODELS_FLAGS)}`);
    return 0;
  }
  const ref = loadReferenceData();
  const q = typeof values.search === 'string' ? values.search.toLowerCase() : undefined;
  const modality = values.modality as string | undefined;
  const models = ref.models.filter(
    (m) =>
      (!q ||
        m.id.toLowerCase().includes(q) ||
        m.provider.includes(q) ||
        m.aliases.some((a) => a.toLowerCase().includes(q))) &&
      (!modality || m.modality === modality),
  );
  if (values.json) {
    out(
      JSON.stringify(
        models.map((m) => ({ ...m, price: ref.prices.get(m.id.toLowerCase()) ?? null })),
        null,
        2,
      ),
    );
  } else {
    out(formatModels(models, ref.prices));
  }
  return 0;
}

/** JSON numbers to 6 significant figures: estimates are not more precise than that. */
function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)
    ? Number(value.toPrecision(6))
    : value;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
