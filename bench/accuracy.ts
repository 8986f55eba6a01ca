/**
 * npm run bench:accuracy [-- --json] [-- --rows]
 * Per ML.ENERGY v2 reference row: measured vs estimated GPU energy and the ratio, for Greenprint and
 * for EcoLogits' published method on the same rows; then the summary per family.
 */
import {
  type AccuracyRow,
  accuracyRows,
  crossValidatedLlm,
  publishedComparisons,
  summarise,
} from './lib/accuracy.js';
import { median } from './lib/mlenergy.js';

const json = process.argv.includes('--json');
const rows = accuracyRows();
const kinds = ['llm', 'mllm', 'diffusion'] as const;
const summary = Object.fromEntries(kinds.map((k) => [k, summarise(rows.filter((r) => r.kind === k))]));

const cv = crossValidatedLlm();
const cvMedian = median(cv.map((c) => c.medianAbsLog10));
const published = publishedComparisons();

if (json) {
  console.log(
    JSON.stringify(
      { rows, summary, crossValidation: { perModel: cv, medianOfModels: cvMedian }, published },
      null,
      2,
    ),
  );
} else {
  const f = (x: number) => x.toPrecision(3);
  const line = (r: AccuracyRow) =>
    `${r.kind.padEnd(10)}${r.label.slice(0, 70).padEnd(72)}${f(r.measuredWh).padStart(10)}${f(r.estimateWh).padStart(10)}${f(r.estimateWh / r.measuredWh).padStart(8)}${`[${f(r.lowWh)}, ${f(r.highWh)}]`.padStart(22)}${r.ecologitsWh === null ? '' : `${f(r.ecologitsWh).padStart(10)}${f(r.ecologitsWh / r.measuredWh).padStart(8)}`}`;
  console.log(
    `${'family'.padEnd(10)}${'row'.padEnd(72)}${'meas. Wh'.padStart(10)}${'est. Wh'.padStart(10)}${'ratio'.padStart(8)}${'range'.padStart(22)}${'EcoL. Wh'.padStart(10)}${'ratio'.padStart(8)}`,
  );
  for (const r of rows) console.log(line(r));
  console.log('\nSummary (GPU boundary; ratio = estimate / measured)');
  console.log(
    `${'family'.padEnd(11)}${'rows'.padStart(6)}${'median ratio'.padStart(14)}${'med |log10|'.padStart(13)}${'max ×'.padStart(8)}${'in range'.padStart(10)}   | EcoLogits: ${'median ratio'.padStart(13)}${'med |log10|'.padStart(13)}${'max ×'.padStart(8)}`,
  );
  for (const k of kinds) {
    const s = summary[k];
    if (!s) continue;
    const e = s.ecologits;
    console.log(
      `${k.padEnd(11)}${String(s.rows).padStart(6)}${f(s.medianRatio).padStart(14)}${s.medianAbsLog10.toFixed(3).padStart(13)}${f(s.maxFactor).padStart(8)}${`${(s.insideRange * 100).toFixed(0)}%`.padStart(10)}   | ${e ? `${''.padStart(11)}${f(e.medianRatio).padStart(13)}${e.medianAbsLog10.toFixed(3).padStart(13)}${f(e.maxFactor).padStart(8)}` : '   (not applicable)'}`,
    );
  }
  console.log(
    '\nLeave-one-model-out (LLM rows; coefficients refitted without the model, then its rows estimated)',
  );
  for (const c of cv) {
    console.log(
      `  ${c.model.padEnd(48)}${String(c.rows).padStart(4)} rows  median |log10| ${c.medianAbsLog10.toFixed(3)}`,
    );
  }
  console.log(
    `  median over models: ${cvMedian.toFixed(3)} (in-sample: ${summary.llm?.medianAbsLog10.toFixed(3)})`,
  );
  console.log('\nPublished single figures');
  for (const p of published) {
    console.log(`  ${p.figure}`);
    console.log(
      `    published ${f(p.publishedWh)} Wh, estimate ${f(p.estimateWh)} Wh, ratio ${f(p.estimateWh / p.publishedWh)}: ${p.note}`,
    );
  }
  console.log(
    '\nmllm rows include image tokens the event does not describe (no input-image model yet): informational only.',
  );
}
