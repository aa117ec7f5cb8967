/**
 * Process bookkeeping of the benchmark: the worker processes of a cluster primary and their
 * memory, read from `/proc` (Linux), so that the bench needs no `ps`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';

/**
 * The worker processes of a cluster primary: its children that run its own executable. A primary
 * started through tsx also has esbuild's service as a child (until tsx's cache holds every
 * module), which is not a worker.
 */
export function clusterWorkerPids(pid: number): number[] {
  const executable = (of: number | string) => fs.readlinkSync(`/proc/${of}/exe`);
  const node = executable(pid);
  const workers: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: the fields after the last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && executable(entry) === node) workers.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return workers.sort((a, b) => a - b);
}

/**
 * Waits up to 5 s for a cluster primary to have `count` workers (a primary answers its first
 * request as soon as one listens).
 *
 * @returns the workers' ids; the primary's own when it runs without workers (`count` 1)
 */
export async function waitForWorkers(pid: number, count: number): Promise<number[]> {
  if (count <= 1) return [pid];
  let workers = clusterWorkerPids(pid);
  for (let i = 0; i < 50 && workers.length < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    workers = clusterWorkerPids(pid);
  }
  return workers;
}

/** Resident memory of a process in MiB: current (`VmRSS`) and peak since it started (`VmHWM`). */
export function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/**
 * Samples the resident memory of some processes every `everyMs` until stopped.
 *
 * @returns `stop()`, giving the largest `VmRSS` seen per pid (MiB)
 */
export function sampleMemory(pids: readonly number[], everyMs = 200): { stop(): Map<number, number> } {
  const peak = new Map<number, number>(pids.map((pid) => [pid, 0]));
  const sample = () => {
    for (const pid of pids) {
      const memory = memoryOf(pid);
      if (memory) peak.set(pid, Math.max(peak.get(pid) ?? 0, memory.rss));
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** CPU time a process has used so far (user + system), in ms, from `/proc/<pid>/stat`. */
export function cpuTimeMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the command name), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

export { freePort } from '../test/support/processes.js';

/** Polls `url` until it answers 200; rejects when `child` exits first or the time is up. */
export async function waitFor200(url: string, child: ChildProcess, timeoutMs = 60_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the process exited (${child.exitCode ?? child.signalCode}) before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/** Stops a child with a signal and waits for it (SIGKILL after `timeoutMs`). */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 15_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a command to completion, inheriting the terminal; rejects on a non-zero exit. */
export async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<void> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}`);
}
