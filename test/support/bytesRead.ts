/**
 * Bytes this process has read through system calls (`rchar` of /proc/self/io: files, pipes and
 * sockets alike), to show how often a file is read. Each vitest file runs in its own process, so
 * only the test's own work and a few small messages of the runner are counted.
 */
import { readFileSync } from 'node:fs';

export const canCountReads = (() => {
  try {
    return /rchar: \d+/.test(readFileSync('/proc/self/io', 'utf8'));
  } catch {
    return false;
  }
})();

export function bytesReadSoFar(): number {
  return Number(/rchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
}

/** Bytes read by the process while `work` ran. */
export async function bytesReadBy<T>(work: () => Promise<T>): Promise<{ result: T; read: number }> {
  const before = bytesReadSoFar();
  const result = await work();
  return { result, read: bytesReadSoFar() - before };
}
