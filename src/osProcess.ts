/** Operating-system processes (not the run's report/cloud/onsite/access processes): whether one lives, and who started whom (/proc). */
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** True while `pid` is a running process (one of another user counts too). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ProcessEntry {
  pid: number;
  ppid: number;
  rssBytes: number;
}

/** Every process /proc lists now (empty where there is no /proc); those ending meanwhile are left out. */
export async function processTable(): Promise<ProcessEntry[]> {
  const names = await readdir('/proc').catch(() => [] as string[]);
  const out: ProcessEntry[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and ')': the fields after its last ')' are plain.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(name), ppid: Number(fields[1]), rssBytes: Number(fields[21]) * 4096 });
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out;
}

/** The processes below `pid` (children, their children, …) in `table`. */
export function descendantsOf(pid: number, table: ProcessEntry[]): ProcessEntry[] {
  const below = table.filter((p) => p.ppid === pid);
  return [...below, ...below.flatMap((p) => descendantsOf(p.pid, table))];
}

/**
 * `pid` and the processes below it, read through /proc/<pid>/task/<tid>/children: a few small
 * files, where processTable reads one per process on the machine (tens of milliseconds of CPU on a
 * busy host, too dear to sample every 100 ms beside the work being measured). Read synchronously:
 * /proc files are made in memory and never wait on a disk, and each async read would cost a thread
 * pool round trip. Falls back to processTable where the kernel does not list children; empty once
 * `pid` has ended.
 */
export async function processTree(pid: number): Promise<ProcessEntry[]> {
  const read = (path: string): string | undefined => {
    try { return readFileSync(path, 'utf8'); } catch { return undefined; }
  };
  const tasks = (p: number): string[] => {
    try { return readdirSync(`/proc/${p}/task`); } catch { return []; }
  };
  const entry = (p: number): ProcessEntry | undefined => {
    const stat = read(`/proc/${p}/stat`);
    if (stat === undefined) return undefined;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid: p, ppid: Number(fields[1]), rssBytes: Number(fields[21]) * 4096 };
  };
  const root = entry(pid);
  if (!root) return [];
  const first = tasks(pid)[0];
  if (first === undefined || read(`/proc/${pid}/task/${first}/children`) === undefined) {
    return [root, ...descendantsOf(pid, await processTable())];
  }
  const out: ProcessEntry[] = [root];
  for (let i = 0; i < out.length; i++) {
    for (const tid of tasks(out[i].pid)) {
      for (const k of (read(`/proc/${out[i].pid}/task/${tid}/children`) ?? '').split(' ')) {
        const e = k ? entry(Number(k)) : undefined;
        if (e) out.push(e);
      }
    }
  }
  return out;
}

/** The command line of `pid`, arguments separated by spaces ('' once it has ended). */
export async function commandOf(pid: number): Promise<string> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw.replaceAll('\0', ' ').trim();
}
