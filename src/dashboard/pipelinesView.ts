import { type Ledger, processMap } from '../ledger/index.js';
import type { DashboardFilters, PipelineRun, Pipelines, PipelineView } from './apiTypes.js';
import { inPeriod, notApplied } from './filters.js';

/**
 * The ledger's process map (stages in order, share of each pipeline's carbon, per run), plus each
 * run's own totals by stage from the `run_stages` table the process map is built on.
 */
export async function pipelinesView(ledger: Ledger, filters: DashboardFilters): Promise<Pipelines> {
  const { project, pipeline, stage } = filters.where;
  const maps = await processMap(ledger, {
    ...(project ? { project } : {}),
    ...(pipeline ? { pipeline } : {}),
  });
  let q = ledger.db
    .selectFrom('run_stages')
    .select([
      'project',
      'pipeline',
      'run',
      'stage',
      'first_ts_ms',
      'requests',
      'energy_wh_mid',
      'carbon_g_mid',
    ]);
  if (project) q = q.where('project', '=', project);
  if (pipeline) q = q.where('pipeline', '=', pipeline);
  const rows = await q.execute();

  const runs = new Map<string, Map<string, PipelineRun & { firstMs: number }>>();
  for (const r of rows) {
    const key = `${r.project}\u0001${r.pipeline}`;
    let byRun = runs.get(key);
    if (!byRun) {
      byRun = new Map();
      runs.set(key, byRun);
    }
    let run = byRun.get(r.run);
    const first = Number(r.first_ts_ms);
    if (!run) {
      run = { run: r.run, startedAt: '', firstMs: first, calls: 0, energyWh: 0, carbonG: 0, stages: {} };
      byRun.set(r.run, run);
    }
    run.firstMs = Math.min(run.firstMs, first);
    const calls = Number(r.requests);
    const energyWh = Number(r.energy_wh_mid);
    const carbonG = Number(r.carbon_g_mid);
    run.calls += calls;
    run.energyWh += energyWh;
    run.carbonG += carbonG;
    run.stages[r.stage] = { calls, energyWh, carbonG };
  }

  const pipelines = maps
    .map((map): PipelineView => {
      const list = [...(runs.get(`${map.project}\u0001${map.pipeline}`)?.values() ?? [])]
        .filter((r) => inPeriod(filters, r.firstMs))
        .sort((a, b) => a.firstMs - b.firstMs)
        .map(({ firstMs, ...r }) => ({ ...r, startedAt: new Date(firstMs).toISOString() }));
      return { ...map, runList: list };
    })
    // A stage filter keeps the pipelines that have the stage; their other stages stay for context.
    .filter((p) => !stage || p.stages.some((s) => s.stage === stage));
  return {
    filters,
    notApplied: notApplied(filters, ['period', 'project', 'pipeline', 'stage']),
    pipelines,
  };
}
