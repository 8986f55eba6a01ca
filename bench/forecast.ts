/**
 * npm run bench:forecast [-- --json]
 * Error of each fallback forecaster (persistence, same hour yesterday, 4-week hour-of-week profile)
 * by lead time: on every Electricity Maps zone-year shipped (hourly, direct intensity; a forecast
 * issued every hour after a 4-week warm-up, 48 h ahead) and on WattTime's CAISO North month (5-min
 * MOER in g/kWh) next to the forecasts WattTime issued. Electricity Maps data: ODbL 1.0, credit
 * "Electricity Maps".
 */
import {
  defaultForecasters,
  type ErrorRow,
  electricityMapsSeries,
  HOURLY_BUCKETS,
  seriesErrors,
  WATTTIME_BUCKETS,
  wattTimeErrors,
} from './lib/forecast.js';

const json = process.argv.includes('--json');
const forecasters = defaultForecasters();
const hourly = electricityMapsSeries().flatMap(({ dataset, series }) =>
  seriesErrors(dataset, series, forecasters),
);
const watt = wattTimeErrors(forecasters);

if (json) {
  for (const r of [...hourly, ...watt]) {
    console.log(
      JSON.stringify({
        dataset: r.dataset,
        zone: r.zone,
        forecaster: r.forecaster,
        horizon: r.horizon,
        mae_g_per_kwh: Number(r.maeGPerKwh.toFixed(3)),
        mape_pct: Number(r.mapePct.toFixed(3)),
        n: r.n,
      }),
    );
  }
} else {
  const names = forecasters.map((f) => f.name);
  const short: Record<string, string> = {
    persistence: 'persist.',
    'same-hour-yesterday': 'yesterday',
    'seasonal-profile-4w': 'season 4w',
    'anomaly-profile': 'anomaly',
    'WattTime issued': 'WattTime',
  };
  for (const metric of ['mae', 'mape'] as const) {
    table(
      `Electricity Maps hourly (direct intensity), ${metric === 'mae' ? 'MAE g/kWh' : 'MAPE % (actuals ≥ 1 g/kWh)'} by lead time; * = best at that lead`,
      hourly,
      names,
      HOURLY_BUCKETS.map((b) => b.label),
      metric,
    );
  }
  summary(hourly, names);
  for (const metric of ['mae', 'mape'] as const) {
    table(
      `WattTime CAISO North, June 2023 (MOER in g/kWh), ${metric === 'mae' ? 'MAE g/kWh' : 'MAPE %'} on the targets of the forecasts WattTime issued`,
      watt,
      [...names, 'WattTime issued'],
      WATTTIME_BUCKETS.map((b) => b.label),
      metric,
    );
  }

  function table(
    title: string,
    rows: ErrorRow[],
    columns: string[],
    horizons: string[],
    metric: 'mae' | 'mape',
  ): void {
    const value = (r: ErrorRow) => (metric === 'mae' ? r.maeGPerKwh : r.mapePct);
    console.log(`${title}\n`);
    console.log(`${''.padEnd(22)}${horizons.map((h) => h.padEnd(columns.length * 11)).join('  ')}`);
    console.log(
      `${'dataset'.padEnd(22)}${horizons.map(() => columns.map((c) => (short[c] ?? c).padStart(11)).join('')).join('  ')}`,
    );
    for (const dataset of [...new Set(rows.map((r) => r.dataset))]) {
      const cells = horizons.map((h) => {
        const at = columns.map((c) =>
          rows.find((r) => r.dataset === dataset && r.horizon === h && r.forecaster === c),
        );
        const best = Math.min(...at.map((r) => (r ? value(r) : Number.POSITIVE_INFINITY)));
        return at
          .map((r) => (r ? `${value(r) === best ? '*' : ''}${value(r).toFixed(1)}` : '–').padStart(11))
          .join('');
      });
      console.log(`${dataset.replace('WattTime ', '').padEnd(22)}${cells.join('  ')}`);
    }
    console.log('');
  }

  function summary(rows: ErrorRow[], columns: string[]): void {
    console.log('Mean over the zone-years (MAE g/kWh / MAPE %) and zone-years where each is best');
    for (const h of HOURLY_BUCKETS.map((b) => b.label)) {
      const parts = columns.map((c) => {
        const mine = rows.filter((r) => r.horizon === h && r.forecaster === c);
        const wins = mine.filter((r) =>
          rows
            .filter((o) => o.dataset === r.dataset && o.horizon === h)
            .every((o) => o.maeGPerKwh >= r.maeGPerKwh),
        ).length;
        const mae = mine.reduce((a, r) => a + r.maeGPerKwh, 0) / mine.length;
        const mape = mine.reduce((a, r) => a + r.mapePct, 0) / mine.length;
        return `${c} ${mae.toFixed(1)} / ${mape.toFixed(1)}% (best ${wins}/${mine.length})`;
      });
      console.log(`  ${h.padEnd(8)} ${parts.join('   ')}`);
    }
    console.log('');
  }
}
