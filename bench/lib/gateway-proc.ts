/**
 * Child processes for bench/gateway.ts: starting them, reading their CPU time and memory from /proc,
 * and stopping every one of them (also on error or Ctrl-C).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Seconds of CPU (user + system, every thread) a process has used so far, from /proc/<pid>/stat; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  const stat = readProc(pid, 'stat');
  if (!stat) return Number.NaN;
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resident memory now and its peak so far (VmRSS, VmHWM), MiB. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readProc(pid, 'status');
  const kb = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** /proc/<pid>/<file>, or '' when the process is gone (its figures then read NaN). */
function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** Every process below `root`, with its command line. */
export function descendants(root: number): { pid: number; argv: string[] }[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  const out: { pid: number; argv: string[] }[] = [];
  for (const pid of parent.keys()) {
    if (!below(pid)) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid, argv });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const children = new Set<ChildProcess>();
/** Children started in their own process group (npx and what it starts), killed as a group. */
const groups = new Set<number>();

/** Kills every child this process started, synchronously (safe in an 'exit' handler). */
export function killAll(): void {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  groups.clear();
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}

/**
 * Asks every script child to exit (IPC disconnect: it closes its server and sink) and waits up to
 * `ms` for them, so that `--cpu-prof` in GP_BENCH_NODE_ARGS gets to write its profile; then kills
 * whatever is left.
 */
export async function stopAll(ms = 5000): Promise<void> {
  const exits = [...children].map((child) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          if (child.connected) child.disconnect();
        }),
  );
  await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, ms).unref())]);
  killAll();
}

const paths = new Set<string>();

/** Removes `path` (recursively) when this process exits, also on Ctrl-C, after the children are killed. */
export function removeOnExit(path: string): void {
  hookExit();
  paths.add(path);
}

function cleanUp(): void {
  killAll();
  for (const path of paths) rmSync(path, { recursive: true, force: true });
  paths.clear();
}

let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanUp();
      process.exit(130);
    });
  }
}

/** The last `n` characters a stream wrote, for error messages. */
function tail(stream: NodeJS.ReadableStream | null, n = 4000): () => string {
  let text = '';
  stream?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-n);
  });
  return () => text.trim();
}

export interface Child {
  process: ChildProcess;
  pid: number;
  /** Sends a message over IPC and waits for the answer whose `type` is `reply`. */
  ask<T>(message: { type: string }, reply: string, ms?: number): Promise<T>;
  stderr(): string;
}

/**
 * Runs one of the bench's TypeScript child scripts under plain `node`, without the tsx loader (whose
 * hook thread would add ~30 MB of RSS and threads to the process being measured): the file is
 * transpiled here, its imports are pinned to absolute URLs, and the result runs from `tmpDir`.
 * Resolves with the child's first IPC message `{ type: 'ready', ... }`.
 */
export async function startScript<Ready>(
  script: URL,
  tmpDir: string,
  env: Record<string, string>,
  ms = 30_000,
): Promise<{ child: Child; ready: Ready }> {
  hookExit();
  const path = fileURLToPath(script);
  const js = ts
    .transpileModule(readFileSync(path, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      fileName: path,
    })
    .outputText.replace(
      /(\bfrom\s*|\bimport\s*)(['"])([^'"]+)\2/g,
      (_, kw: string, q: string, spec: string) => {
        if (spec.startsWith('node:')) return `${kw}${q}${spec}${q}`;
        const url = spec.startsWith('.')
          ? new URL(spec, pathToFileURL(path)).href
          : import.meta.resolve(spec);
        return `${kw}${q}${url}${q}`;
      },
    );
  const out = join(tmpDir, `${basename(path, '.ts')}.mjs`);
  writeFileSync(out, js);
  // GP_BENCH_NODE_ARGS: extra node flags for the children (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
  const nodeArgs = (process.env.GP_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, out], {
    cwd: dirname(path),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  children.add(proc);
  const stderr = tail(proc.stderr);
  const ask = <T>(message: { type: string }, reply: string, wait = 30_000) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.off('message', onMessage);
        reject(new Error(`${basename(path)}: no "${reply}" within ${wait} ms. ${stderr()}`));
      }, wait);
      const onMessage = (m: { type?: string }) => {
        if (m?.type !== reply) return;
        clearTimeout(timer);
        proc.off('message', onMessage);
        resolve(m as T);
      };
      proc.on('message', onMessage);
      proc.send(message);
    });
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${basename(path)} did not start: ${stderr()}`)), ms);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${basename(path)} exited with ${code}: ${stderr()}`));
    });
    proc.on('message', function onReady(m: { type?: string }) {
      if (m?.type !== 'ready') return;
      clearTimeout(timer);
      proc.off('message', onReady);
      resolve(m as Ready);
    });
  });
  return { child: { process: proc, pid: proc.pid as number, ask, stderr }, ready };
}

export interface Portkey {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** The node process that serves (below npx, npm and sh). */
  pid: number;
  version: string;
  stop(): void;
}

/**
 * `npx --yes @portkey-ai/gateway --headless --port=N`, in its own process group; resolves once the
 * port accepts connections, or rejects with the reason (npx failed, no network, timeout …).
 */
export async function startPortkey(ms = 180_000): Promise<Portkey> {
  hookExit();
  const port = await freePort();
  const npx = spawn('npx', ['--yes', '@portkey-ai/gateway', '--headless', `--port=${port}`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
  });
  const pgid = npx.pid as number;
  groups.add(pgid);
  const out = tail(npx.stdout, 2000);
  const err = tail(npx.stderr, 2000);
  let exited: string | undefined;
  npx.once('exit', (code, signal) => {
    exited = `npx exited (${signal ?? code}): ${err() || out()}`;
  });
  npx.once('error', (e) => {
    exited = `npx could not start: ${e.message}`;
  });
  const stop = () => {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    groups.delete(pgid);
  };
  const end = Date.now() + ms;
  try {
    while (!(await listening(port))) {
      if (exited) throw new Error(exited);
      if (Date.now() > end) throw new Error(`not listening on port ${port} after ${ms / 1000} s: ${err()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // The server is the node process running the package's bin, below npm exec and sh -c.
    const nodes = descendants(pgid).filter((p) => basename(p.argv[0] ?? '') === 'node');
    const server =
      nodes.find((p) => p.argv.some((a) => a.includes('gateway') && !a.startsWith('--'))) ?? nodes.at(-1);
    if (!server) throw new Error('listening, but its node process was not found below npx');
    let version = 'unknown';
    try {
      const bin = realpathSync(server.argv[1] ?? '');
      const pkg = JSON.parse(readFileSync(join(dirname(bin), '..', 'package.json'), 'utf8')) as {
        version?: string;
      };
      version = pkg.version ?? version;
    } catch {
      // The version is informative only.
    }
    return { origin: `http://127.0.0.1:${port}`, pid: server.pid, version, stop };
  } catch (error) {
    stop();
    throw error;
  }
}
