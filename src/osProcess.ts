/** Operating-system processes (not the run's report/cloud/onsite/access processes): whether one lives, and who started whom (/proc). */
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

/** The command line of `pid`, arguments separated by spaces ('' once it has ended). */
export async function commandOf(pid: number): Promise<string> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw.replaceAll('\0', ' ').trim();
}
