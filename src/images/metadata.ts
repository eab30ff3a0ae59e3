/**
 * Writes and reads XMP-dc with one warm exiftool pool (exiftool-vendored), instead of one perl
 * process per file as the original did. Call end() when the run is over, or perl keeps running.
 */
import { availableParallelism } from 'node:os';
import { ExifTool, type WriteTags } from 'exiftool-vendored';
import type { XmpFields } from './xmp.js';

export class MetadataWriter {
  private readonly et: ExifTool;

  constructor(opts: { maxProcs?: number; exiftoolPath?: string } = {}) {
    this.et = new ExifTool({
      maxProcs: Math.max(1, opts.maxProcs ?? availableParallelism()),
      ...(opts.exiftoolPath ? { exiftoolPath: opts.exiftoolPath } : {}),
    });
  }

  async write(path: string, xmp: XmpFields): Promise<void> {
    const tags = {
      'XMP-dc:Title': xmp.title,
      'XMP-dc:Identifier': xmp.identifier,
      'XMP-dc:Publisher': xmp.publisher,
      'XMP-dc:Source': xmp.source,
      'XMP-dc:Rights': xmp.rights,
    } as unknown as WriteTags;
    await this.et.write(path, tags, { writeArgs: ['-overwrite_original'] });
  }

  async read(path: string): Promise<XmpFields> {
    const t = (await this.et.read(path, { readArgs: ['-XMP-dc:all'] })) as unknown as Record<string, unknown>;
    const s = (v: unknown) => (Array.isArray(v) ? v.join('; ') : v === undefined ? '' : String(v));
    return { title: s(t.Title), identifier: s(t.Identifier), publisher: s(t.Publisher), source: s(t.Source), rights: s(t.Rights) };
  }

  async version(): Promise<string> { return this.et.version(); }

  end(): Promise<void> { return this.et.end(); }
}
