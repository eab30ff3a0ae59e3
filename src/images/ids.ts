/**
 * Image component ids in the original's Crockford-like form `xxxx_xxxx`, now remembered: the
 * same source image gets the same id on every rerun, and an id is never given to two images.
 * The mapping is a small JSON file replaced atomically (write a temp file, then rename).
 */
import { writeFileAtomic } from '../atomicWrite.js';
import { randomInt } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const ID_ALPHABET = 'abcdefghjkmnpqrstvwxyz0123456789';
export const ID_PATTERN = /^[abcdefghjkmnpqrstvwxyz0-9]{4}_[abcdefghjkmnpqrstvwxyz0-9]{4}$/;

export class ImageIdRegistry {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly file: string, private readonly ids: Map<string, string>, private readonly used: Set<string>) {}

  static async open(file: string): Promise<ImageIdRegistry> {
    let data: Record<string, string> = {};
    try {
      data = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`cannot read the image id registry ${file}: ${(e as Error).message}. Restore it from backup: ids in it must never be reused.`);
      }
    }
    const ids = new Map(Object.entries(data));
    return new ImageIdRegistry(file, ids, new Set(ids.values()));
  }

  /** The id for this source (e.g. "<folder>/<file name>"), created and saved on first request. */
  idFor(sourceKey: string): Promise<string> {
    const next = this.chain.then(async () => {
      const known = this.ids.get(sourceKey);
      return known ?? this.idForNow(sourceKey);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * Takes over an id given before (the original's component for this image): from now on the
   * source gets it. Returns the id the source has — the adopted one, or the one it already had,
   * never an id another source holds — and whether it was adopted now.
   */
  adopt(sourceKey: string, id: string): Promise<{ id: string; adopted: boolean }> {
    const next = this.chain.then(async () => {
      const known = this.ids.get(sourceKey);
      if (known) return { id: known, adopted: false };
      if (this.used.has(id)) return { id: await this.idForNow(sourceKey), adopted: false };
      this.ids.set(sourceKey, id);
      this.used.add(id);
      await this.save();
      return { id, adopted: true };
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async idForNow(sourceKey: string): Promise<string> {
    let id: string;
    do id = newId(); while (this.used.has(id));
    this.ids.set(sourceKey, id);
    this.used.add(id);
    await this.save();
    return id;
  }

  private async save(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(Object.fromEntries([...this.ids].sort()), null, 2)}\n`);
  }
}

function newId(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return `${s.slice(0, 4)}_${s.slice(4)}`;
}
