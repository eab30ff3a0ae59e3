/** sha512 (OCFL), sha256 (fixity) and md5 (ArchivesSpace) of a file in one streaming read. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileDigests { sha512: string; sha256: string; md5: string }

export async function fileDigests(path: string): Promise<FileDigests & { bytes: number }> {
  const hashes = { sha512: createHash('sha512'), sha256: createHash('sha256'), md5: createHash('md5') };
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const b = chunk as Buffer;
    bytes += b.length;
    hashes.sha512.update(b); hashes.sha256.update(b); hashes.md5.update(b);
  }
  return { sha512: hashes.sha512.digest('hex'), sha256: hashes.sha256.digest('hex'), md5: hashes.md5.digest('hex'), bytes };
}
