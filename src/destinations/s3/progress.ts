/**
 * Bytes and files sent of the total, with the rate, for the status stream. Progress is reported
 * at most once a second (and at each file's end), so a fast loopback upload does not flood it.
 */
import type { Reporter } from '../../runs/reporter.js';

export class SendProgress {
  doneBytes = 0;
  doneFiles = 0;
  sentBytes = 0;
  private readonly started = Date.now();
  private lastReport = 0;

  constructor(private readonly reporter: Reporter, readonly totalBytes: number, readonly totalFiles: number) {}

  /** Bytes that went over the wire. */
  sent(bytes: number): void {
    this.sentBytes += bytes;
    this.doneBytes += bytes;
    this.maybeReport(false);
  }

  /** A file finished (sent or found already there). */
  fileDone(skippedBytes = 0): void {
    this.doneFiles += 1;
    this.doneBytes += skippedBytes;
    this.maybeReport(true);
  }

  rate(): string {
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    return `${mb(this.sentBytes / seconds)}/s`;
  }

  private maybeReport(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastReport < 1000) return;
    this.lastReport = now;
    this.reporter.progress(this.doneBytes, this.totalBytes, `${this.doneFiles} of ${this.totalFiles} files, ${mb(this.doneBytes)} of ${mb(this.totalBytes)}, ${this.rate()}`, 'bytes');
  }
}

export function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
