import { run } from './main.js';

process.exitCode = await run(
  process.argv.slice(2),
  (s) => process.stdout.write(`${s}\n`),
  (s) => process.stderr.write(s.startsWith('\r') ? s : `${s}\n`),
  process.stderr.isTTY === true,
);
