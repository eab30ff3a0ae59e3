/**
 * Writes and reads XMP-dc with one warm exiftool pool (exiftool-vendored), instead of one perl
 * process per file as the original did. Call end() when the run is over, or perl keeps running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { DefaultExifToolOptions, ExifTool, exiftoolPath as bundledExiftool, type WriteTags } from 'exiftool-vendored';
import type { XmpFields } from './xmp.js';

/**
 * Runs exiftool in a perl that first forks a small watcher: when the process that started exiftool
 * is gone, the watcher stops exiftool. exiftool's `-stay_open` loop never ends on its own when the
 * process feeding it dies, so after a `kill -9` of Distillery each warm exiftool would otherwise
 * keep running (and polling) forever. The watcher holds none of exiftool's pipes, and ends when
 * exiftool does. (A timer inside exiftool itself would not do: a signal breaks its read.)
 */
const WATCH_PARENT = `
my $starter = getppid();
my $exiftool = $$;
my $watcher = fork();
if (defined $watcher && $watcher == 0) {
  open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null');
  while (1) {
    sleep 2;
    exit 0 if getppid() != $exiftool;
    if (!kill(0, $starter)) { kill('TERM', $exiftool); exit 0; }
  }
}
$0 = shift @ARGV;
my $done = do $0;
die $@ if $@;
die "cannot run $0: $!\\n" unless defined $done;
`;

export interface FileFacts {
  fileType?: string;
  mimeType?: string;
  pdfVersion?: string;
  pages?: number;
  duration?: string;
  sampleRate?: number;
  channels?: number;
  bitsPerSample?: number;
  width?: number;
  height?: number;
  /** exiftool's own word when it cannot read the format. */
  error?: string;
}

export class MetadataWriter {
  private readonly et: ExifTool;

  constructor(opts: { maxProcs?: number; exiftoolPath?: string } = {}) {
    const args = DefaultExifToolOptions.exiftoolArgs;
    this.et = new ExifTool({
      maxProcs: Math.max(1, opts.maxProcs ?? availableParallelism()),
      ...(opts.exiftoolPath ? { exiftoolPath: opts.exiftoolPath } : {}),
      processFactory: async (): Promise<ChildProcess> => {
        const path = opts.exiftoolPath ? await onPath(opts.exiftoolPath) : await bundledExiftool();
        const spawnOpts = { stdio: 'pipe' as const, env: { ...process.env, LANG: 'C' } };
        // A configured exiftool that is not a perl script (a wrapper, say) runs as it is.
        return (await isPerlScript(path))
          ? spawn('perl', ['-e', WATCH_PARENT, path, ...args], spawnOpts)
          : spawn(path, args, spawnOpts);
      },
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

  /**
   * A file's technical facts as exiftool reports them (type, MIME type, and what the format has:
   * pages and PDF version, duration, sample rate and channels, frame size), for files preserved
   * as they are.
   */
  async facts(path: string): Promise<FileFacts> {
    const t = (await this.et.read(path)) as unknown as Record<string, unknown>;
    const str = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));
    const num = (v: unknown) => (typeof v === 'number' ? v : v !== undefined && v !== null && /^\d+(\.\d+)?$/.test(String(v)) ? Number(v) : undefined);
    return {
      fileType: str(t.FileType),
      mimeType: str(t.MIMEType),
      pdfVersion: str(t.PDFVersion),
      pages: num(t.PageCount),
      duration: str(t.Duration),
      sampleRate: num(t.SampleRate ?? t.AudioSampleRate),
      channels: num(t.NumChannels ?? t.AudioChannels),
      bitsPerSample: num(t.BitsPerSample ?? t.AudioBitsPerSample),
      width: num(t.ImageWidth),
      height: num(t.ImageHeight),
      error: str(t.Error),
    };
  }

  async version(): Promise<string> { return this.et.version(); }

  end(): Promise<void> { return this.et.end(); }
}

/** The file a command name runs (searched on PATH unless it names a path). */
async function onPath(command: string): Promise<string> {
  if (isAbsolute(command) || command.includes('/')) return command;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return command;
}

async function isPerlScript(path: string): Promise<boolean> {
  try {
    const f = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await f.read(Buffer.alloc(128), 0, 128, 0);
      return /^#!.*perl/.test(buffer.subarray(0, bytesRead).toString('latin1').split('\n')[0]);
    } finally {
      await f.close();
    }
  } catch {
    return false;
  }
}
