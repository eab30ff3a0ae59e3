/** One line of the benchmark table. */
export interface BenchRow {
  name: string;
  value: string;
  goal?: string;
  ok?: boolean;
}

/** Marks each line and record the status page benchmark's worker writes: ⏱ then the moment of writing, in ms since the epoch. */
export const WRITTEN_AT = '⏱';
