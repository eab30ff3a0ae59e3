/**
 * The end state an archive judges a run by, checked from the outside: the originals, the local
 * OCFL objects, the bucket, the tape catalogue, the Islandora host and ArchivesSpace. Used by the
 * pipeline tests and by `npm run e2e`; every finding is a sentence naming the file or record.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import type { StandInState } from '../archivesspace/standin/index.js';
import { loadCatalogue, locationsOf } from '../destinations/tape/catalogue.js';
import { hashFile } from '../hash.js';
import { listObjectIds, ObjectIdentity, objectPath, readInventory, validateStorageRoot } from '../ocfl/index.js';
import type { Settings } from '../settings/index.js';
import { storageRootOf } from '../wiring.js';

/** Relative path → sha256 of every file under a folder. */
export async function fingerprint(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        out.set(relative(dir, p), (await hashFile(p, ['sha256'])).digests.sha256);
      }
    }
  }
  await walk(dir);
  return out;
}

export interface ExpectedFolder {
  /** Folder name = component id of its archival object. */
  name: string;
  /** Images that must be preserved (the good ones). */
  images: number;
  /** Other files preserved as they are (each with its own component). */
  files?: number;
  /** A scan of the folder failed: access copies are all or nothing, so nothing of it may be published. */
  unpublished?: boolean;
}

export interface EndStateInput {
  settings: Settings;
  aspace: StandInState;
  /** HOME of the Islandora host stand-in (its drush keeps state there). */
  islandoraHome?: string;
  collectionId: string;
  folders: ExpectedFolder[];
  /** Fingerprint of the collection folder as submitted. */
  originals: Map<string, string>;
  processes: readonly string[];
  /** Where the originals must be now; the processed folder (STAGE_3/<collection>) by default. */
  originalsDir?: string;
}

export interface EndState {
  problems: string[];
  figures: {
    filesLost: number;
    duplicateDigitalObjects: number;
    duplicateComponents: number;
    invalidOcflObjects: number;
    duplicateOcflObjects: number;
    orphanedMultipartUploads: number;
    imagesInS3: number;
    imagesOnTape: number;
    books: number;
    /** Pages of those books (each matching a verified image of its folder). */
    bookPages: number;
  };
}

export async function checkEndState(input: EndStateInput): Promise<EndState> {
  const { settings, collectionId } = input;
  const problems: string[] = [];
  const figures: EndState['figures'] = {
    filesLost: 0, duplicateDigitalObjects: 0, duplicateComponents: 0, invalidOcflObjects: 0, duplicateOcflObjects: 0,
    orphanedMultipartUploads: 0, imagesInS3: 0, imagesOnTape: 0, books: 0, bookPages: 0,
  };

  // 1. Originals: every submitted file, byte for byte, in the processed folder.
  const processed = input.originalsDir ?? join(settings.folders.stage3, collectionId);
  const now = existsSync(processed) ? await fingerprint(processed) : new Map<string, string>();
  for (const [path, sha] of input.originals) {
    const got = now.get(path);
    if (got !== sha) {
      figures.filesLost++;
      problems.push(got ? `${path} in ${processed} differs from what was submitted` : `${path} is missing from ${processed}`);
    }
  }

  // 2. ArchivesSpace: one digital object per folder, one component per image.
  const objectIds = new Map<string, string>();
  const identity = await ObjectIdentity.open(storageRootOf(settings), settings.ocfl.idNamespace, { readOnly: true });
  for (const f of input.folders) {
    const dos = input.aspace.list('digital_object').filter((r) => r.data.digital_object_id === f.name);
    if (dos.length !== 1) {
      if (dos.length > 1) figures.duplicateDigitalObjects += dos.length - 1;
      problems.push(`ArchivesSpace has ${dos.length} digital objects for ${f.name} (expected 1)`);
      continue;
    }
    const doUri = dos[0].uri;
    const comps = input.aspace.list('digital_object_component').filter((c) => (c.data.digital_object as { ref?: string } | undefined)?.ref === doUri);
    const ids = comps.map((c) => String(c.data.component_id));
    figures.duplicateComponents += ids.length - new Set(ids).size;
    // Components record preservation copies; a run with access alone makes none.
    const preserves = input.processes.includes('cloud') || input.processes.includes('onsite');
    if (preserves && comps.length !== f.images + (f.files ?? 0)) problems.push(`ArchivesSpace has ${comps.length} components under ${f.name}'s digital object (expected ${f.images + (f.files ?? 0)})`);
    for (const c of comps) {
      const uris = ((c.data.file_versions as { file_uri: string }[] | undefined) ?? []).map((v) => v.file_uri);
      if (input.processes.includes('cloud') && !uris.some((u) => /^(https?|s3):/.test(u))) problems.push(`${c.uri} (${f.name}) has no S3 file version`);
      if (input.processes.includes('onsite') && !uris.some((u) => u.startsWith('tape://'))) problems.push(`${c.uri} (${f.name}) has no tape file version`);
      const s3Versions = uris.filter((u) => /^(https?|s3):/.test(u));
      if (new Set(s3Versions).size !== s3Versions.length) problems.push(`${c.uri} (${f.name}) has the same S3 file version twice`);
    }
    if (input.processes.includes('access')) {
      const fv = ((dos[0].data.file_versions as { file_uri: string }[] | undefined) ?? []).map((v) => v.file_uri);
      const linked = fv.some((u) => u.includes('/islandora/object/'));
      if (f.unpublished && linked) problems.push(`${f.name}'s digital object links to an access copy, though a scan of it failed`);
      if (!f.unpublished && !linked) problems.push(`${f.name}'s digital object has no Islandora link`);
    }
    const ao = input.aspace.list('archival_object').find((r) => r.data.component_id === f.name);
    if (ao) objectIds.set(f.name, (await identity.resolve(ao.uri, { record: false })).objectId);
  }

  // 3. Local OCFL: a valid storage root with exactly one object per folder.
  const root = storageRootOf(settings);
  const validation = await validateStorageRoot(root);
  for (const e of validation.errors) problems.push(`OCFL ${e.code} at ${e.path}: ${e.message}`);
  if (!validation.valid) figures.invalidOcflObjects = new Set(validation.errors.map((e) => e.path.split('/v')[0])).size;
  const ids = await listObjectIds(root);
  figures.duplicateOcflObjects = ids.length - new Set(ids).size;
  const inventories = new Map<string, Awaited<ReturnType<typeof readInventory>>>();
  for (const f of input.folders) {
    const id = objectIds.get(f.name);
    if (!id) continue;
    const inv = await readInventory(root, id);
    if (!inv) {
      problems.push(`no OCFL object for ${f.name} (${id})`);
      continue;
    }
    inventories.set(f.name, inv);
    const jp2s = Object.values(inv.versions[inv.head].state).flat().filter((p) => p.endsWith('.jp2'));
    if (jp2s.length !== f.images) problems.push(`OCFL object of ${f.name} holds ${jp2s.length} JP2s at ${inv.head} (expected ${f.images})`);
  }

  // 4. S3: every file of every object, at the size it has locally; no multipart upload left open.
  if (input.processes.includes('cloud') && settings.s3) {
    const s3 = settings.s3;
    const client = new S3Client({
      endpoint: s3.endpoint, region: s3.region, forcePathStyle: s3.forcePathStyle,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    try {
      for (const [name, inv] of inventories) {
        const objRoot = join(root, objectPath(objectIds.get(name)!));
        for (const [digest, paths] of Object.entries(inv!.manifest)) {
          for (const p of paths) {
            const local = join(objRoot, p);
            if (!existsSync(local)) continue; // payload held elsewhere (KEEP_LOCAL_PAYLOAD=false)
            const key = `${s3.prefix}${objectPath(objectIds.get(name)!)}/${p}`;
            const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key })).catch(() => undefined);
            if (!head) problems.push(`s3://${s3.bucket}/${key} (${name}) is missing`);
            else if (head.ContentLength !== (await stat(local)).size) problems.push(`s3://${s3.bucket}/${key} has ${head.ContentLength} bytes, not ${(await stat(local)).size}`);
            else if (p.endsWith('.jp2')) figures.imagesInS3++;
            void digest;
          }
        }
      }
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket }));
      figures.orphanedMultipartUploads = uploads.Uploads?.length ?? 0;
      for (const u of uploads.Uploads ?? []) problems.push(`multipart upload of ${u.Key} was left open`);
    } finally {
      client.destroy();
    }
  }

  // 5. Tape: each object's head version in a verified tape file.
  if (input.processes.includes('onsite') && settings.tape) {
    const cat = await loadCatalogue(settings.tape.cataloguePath);
    for (const [name, inv] of inventories) {
      const at = locationsOf(cat, objectIds.get(name)!, inv!.head).filter((l) => l.file.state === 'verified');
      if (at.length === 0) problems.push(`${name} ${inv!.head} is on no verified tape file`);
      else {
        const jp2 = Object.values(inv!.versions[inv!.head].state).flat().filter((p) => p.endsWith('.jp2')).length;
        figures.imagesOnTape += jp2;
      }
    }
  }

  // 6. Islandora: one book per folder, with one page per verified image, and no page without its book.
  if (input.processes.includes('access') && input.islandoraHome) {
    const statePath = join(input.islandoraHome, '.islandora-standin', 'state.json');
    type StandinObject = { models?: string[]; isPageOf?: string };
    const state = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as { objects: Record<string, StandinObject> }) : { objects: {} };
    for (const f of input.folders) {
      const books = Object.entries(state.objects).filter(([pid, o]) => pid.endsWith(`:${f.name}`) && (o.models ?? []).includes('islandora:bookCModel'));
      const pages = Object.values(state.objects).filter((o) => o.isPageOf !== undefined && o.isPageOf.endsWith(`:${f.name}`));
      if (f.unpublished) {
        if (books.length || pages.length) problems.push(`Islandora holds ${books.length} books and ${pages.length} pages for ${f.name}, though a scan of it failed (expected nothing)`);
        continue;
      }
      if (books.length !== 1) problems.push(`Islandora holds ${books.length} books for ${f.name} (expected 1)${pages.length ? ` and ${pages.length} pages` : ''}`);
      else {
        figures.books++;
        if (pages.length !== f.images) problems.push(`The Islandora book of ${f.name} has ${pages.length} pages; the folder has ${f.images} verified images`);
        else figures.bookPages += pages.length;
      }
    }
  }

  return { problems, figures };
}
