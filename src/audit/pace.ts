/** Bounded I/O: after each read, waits long enough that the average stays under the rate. */
export class Pace {
  private readonly started = Date.now();
  private bytes = 0;

  /** `mbPerSecond` 0 means no limit. */
  constructor(private readonly mbPerSecond: number) {}

  readonly after = async (bytes: number): Promise<void> => {
    if (this.mbPerSecond <= 0) return;
    this.bytes += bytes;
    const due = this.started + (this.bytes / (this.mbPerSecond * 1_000_000)) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
}
