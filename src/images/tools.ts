/** Builds the image tools from settings, and reports their versions for `distillery check`. */
import { availableParallelism } from 'node:os';
import { firstVersion, makeEncoder, type Jp2Encoder } from './encoder.js';
import { MetadataWriter } from './metadata.js';
import { runChild } from '../childProcess.js';
import { policies } from '../policies.js';
import type { ImageSettings } from './settings.js';

export function encoderFromSettings(s: ImageSettings): Jp2Encoder {
  // Images already run in parallel; each encoder gets the cores left per image (at least one).
  const threads = Math.max(1, Math.floor(availableParallelism() / Math.max(1, s.concurrency)));
  const command = s.encoder === 'vips' ? s.vipsCmd : s.encoder === 'opj' ? s.opjCompressCmd : s.kduCompressCmd;
  return makeEncoder({ tool: s.encoder, command, threads });
}

export function metadataWriterFromSettings(s: ImageSettings): MetadataWriter {
  return new MetadataWriter({ maxProcs: availableParallelism(), exiftoolPath: s.exiftoolCmd });
}

/** Each tool's version, or "unavailable: <why>" so check lists every problem at once. */
export async function imageToolVersions(s: ImageSettings): Promise<{ name: string; version: string }[]> {
  const out: { name: string; version: string }[] = [];
  const attempt = async (name: string, fn: () => Promise<string>) => {
    try { out.push({ name, version: await fn() }); } catch (e) { out.push({ name, version: `unavailable: ${(e as Error).message}` }); }
  };
  await attempt(`encoder (${s.encoder})`, () => encoderFromSettings(s).version());
  await attempt('opj_decompress', async () => {
    const r = await runChild(s.opjDecompressCmd, ['-h'], { policy: policies.toolCheck, exit: 'return' });
    return firstVersion(r.stdout);
  });
  await attempt('exiftool', async () => {
    const w = new MetadataWriter({ maxProcs: 1, exiftoolPath: s.exiftoolCmd });
    try { return await w.version(); } finally { await w.end(); }
  });
  const sharp = (await import('sharp')).default;
  out.push({ name: 'sharp (libvips)', version: `${sharp.versions.sharp ?? ''} (${sharp.versions.vips})` });
  return out;
}
