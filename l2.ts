import { rmSync } from 'node:fs';
import { openLedger } from './src/ledger/ledger.ts';

rmSync('/tmp/l2.db', { force: true });
rmSync('/tmp/l2.db-wal', { force: true });
const l = await openLedger('/tmp/l2.db');
const stages = [
  ['brief', 'gpt-4o'],
  ['script', 'claude-sonnet-4-5'],
  ['storyboard', 'gpt-4o-mini'],
  ['captions', 'meta-llama/Llama-3.1-8B-Instruct'],
  ['qa', 'gpt-4o-mini'],
];
const N = 200_000;
const B = 5000;
let spent = 0;
for (let s = 0; s < N; s += B) {
  const batch = [];
  for (let i = s; i < s + B; i++) {
    const st = stages[i % 5];
    batch.push({
      id: `imp_${((i * 2654435761) % 4294967296).toString(16)}_${i}`,
      requestModel: st[1],
      inputTokens: 100 + (i % 500),
      outputTokens: 50 + (i % 300),
      project: `p${(i >> 10) % 5}`,
      pipeline: `pl${(i >> 12) % 2}`,
      stage: st[0],
      run: `r${i >> 6}`,
      startTime: new Date(1.7e12 + i * 2600).toISOString(),
      region: ['DE', 'FR'][(i >> 10) % 2],
    });
  }
  const t0 = performance.now();
  await l.record(batch);
  spent += performance.now() - t0;
}
console.log(
  `${N} in ${(spent / 1000).toFixed(2)} s = ${((N / spent) * 1000).toFixed(0)}/s; rollup rows`,
  await l.db
    .selectFrom('rollups')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst(),
);
await l.close();
