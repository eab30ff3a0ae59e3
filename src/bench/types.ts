/** One line of the benchmark table. */
export interface BenchRow {
  name: string;
  value: string;
  goal?: string;
  ok?: boolean;
}
