/**
 * Islandora 7 as the original published to it: stage the book locally, make a remote temporary
 * folder, rsync, find the collection object (create it with islandora_batch_with_derivs when drush
 * says NO_PIDS_FOUND), preprocess the book with islandora_book_batch and ingest the set, and remove
 * the remote folder. What a book holds is read back with islandora_datastream_crud (the pages that
 * are members of the book, and from their MODS each page's number and source sha512, the book's
 * metadata digest); a book is removed with islandora_bulk_delete (the book and its pages).
 *
 * Islandora cannot update a book in place here: islandora_datastream_crud_push_datastreams reads
 * the PID from the file name `<ns>_<id>_<DSID>` and takes any PID with two or three "_" apart
 * wrongly (includes/utilities.inc, islandora_datastream_crud_parse_dsfilename), and component ids
 * hold "_" (HBF_001_02). An outdated book is therefore replaced whole under the same PID.
 */
import { access } from 'node:fs/promises';
import { XMLParser } from 'fast-xml-parser';
import { runChild } from '../../childProcess.js';
import { MetadataWriter } from '../../images/metadata.js';
import { xmpFields } from '../../images/xmp.js';
import { policies, PermanentError, withRetry, type RetryPolicy } from '../../policies.js';
import type { CheckResult, PreparedFolder, RunScope } from '../destination.js';
import type { CollectionInfo } from '../access/collectionInfo.js';
import type { AccessEdition, AccessLinks, AccessPlatform, PublishedCopy } from '../access/platform.js';
import { Drush } from './drush.js';
import { METADATA_DIGEST_NOTE, SOURCE_DIGEST_NOTE } from './mods.js';
import { bookPid, collectionPid } from './pid.js';
import type { IslandoraSettings } from './settings.js';
import { SshError, SshTarget } from './ssh.js';
import { stageBook, stageCollection } from './staging.js';
import { timePhase } from '../../runs/reporter.js';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });

export class Islandora7Platform implements AccessPlatform {
  readonly name = 'islandora';
  private readonly ssh: SshTarget;
  private readonly drush: Drush;
  /** Collection PIDs already found or created in this process, by collection ID. */
  private readonly collections = new Map<string, string>();

  constructor(private readonly s: IslandoraSettings) {
    this.ssh = new SshTarget(s.ssh);
    this.drush = new Drush(this.ssh, s.drushCommand, s.webroot);
  }

  links(pid: string): AccessLinks {
    const objectUrl = `${this.s.url}/islandora/object/${pid}`;
    return { objectUrl, thumbnailUrl: `${objectUrl}/datastream/TN/view` };
  }

  /**
   * Remote steps retry only what ssh says may pass (refused, unreachable, timed out); drush errors
   * are final. Each attempt gets the run's stop signal and the policy's time-out.
   */
  private remote<T>(run: RunScope | undefined, what: string, policy: RetryPolicy, fn: (signal: AbortSignal, attempt: number) => Promise<T>): Promise<T> {
    return withRetry(policy, (attempt, signal) => fn(signal, attempt), {
      what: `${what} (on ${this.ssh.label})`,
      retryable: (e) => e instanceof SshError && e.retryable,
      onRetry: (e, attempt) => run?.reporter.line(`🔁 ${what} failed (${(e as Error).message}); trying again (attempt ${attempt + 1})`),
      signal: run?.signal,
    });
  }

  private async preflight(): Promise<void> {
    for (const [key, path] of [['ISLANDORA_SSH_KEY', this.s.ssh.keyPath], ['ISLANDORA_KNOWN_HOSTS', this.s.ssh.knownHostsPath]] as const) {
      if (path === undefined) continue;
      await access(path).catch(() => {
        throw new PermanentError(`${key} names ${path}, which cannot be read; fix the path in settings.ini. Nothing was sent.`);
      });
    }
  }

  async check(): Promise<CheckResult> {
    const parts: string[] = [];
    let ok = true;
    try {
      await this.preflight();
      parts.push(`drush on ${this.ssh.label}: ${await this.drush.version()}`);
    } catch (err) {
      ok = false;
      parts.push(`drush on ${this.ssh.label}: ${(err as Error).message}`);
    }
    try {
      const r = await runChild(this.s.tesseractCommand, ['--version'], { policy: policies.toolCheck, exit: 'return' });
      const version = `${r.stdout}${r.stderr}`.split('\n')[0].trim();
      if (r.code !== 0) throw new Error(version || `exit ${r.code}`);
      parts.push(version);
    } catch (err) {
      ok = false;
      parts.push(`tesseract (${this.s.tesseractCommand}): ${(err as Error).message}`);
    }
    return { ok, detail: `islandora: ${parts.join('; ')}` };
  }

  validate(collection: CollectionInfo, folder: PreparedFolder): void {
    collectionPid(this.s.namespace, collection.id);
    bookPid(collection.id, folder.record.componentId);
    if (folder.images.length === 0) {
      throw new PermanentError(`${folder.name} has no preserved images to publish; run the distill step for it first.`);
    }
  }

  linksFor(collection: CollectionInfo, folder: PreparedFolder): AccessLinks {
    return this.links(bookPid(collection.id, folder.record.componentId));
  }

  /**
   * Reads the book back from Islandora: whether the book object is there, its pages (every object
   * that isMemberOf the book, also pages an interrupted ingest left without it) and, from their
   * MODS, each page's number and source sha512 and the book's metadata digest.
   */
  async inspect(collection: CollectionInfo, folder: PreparedFolder, run: RunScope): Promise<PublishedCopy | undefined> {
    await this.preflight();
    const pid = bookPid(collection.id, folder.record.componentId);
    const bookThere = await this.remote(run, 'Looking for the book in Islandora', policies.remoteLookup, (signal) => this.drush.objectExists(pid, signal));
    const pagePids = await this.remote(run, 'Listing the pages of the book', policies.remoteLookup, (signal) => this.drush.listMembers(pid, signal));
    if (!bookThere && pagePids.length === 0) return undefined;
    const pids = [...(bookThere ? [pid] : []), ...pagePids];
    const mods = await this.withRemoteDir(run, (tmp) => this.readDatastreams(run, tmp, pids, 'MODS'));
    const notes = (xml: string | undefined) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const m: Record<string, any> = xml ? (parser.parse(xml).mods ?? {}) : {};
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const all = <T = any>(v: unknown): T[] => (v === undefined ? [] : ([v].flat() as T[]));
      const note = (type: string): string | undefined =>
        all(m.recordInfo).flatMap((r) => all(r?.recordInfoNote)).find((n) => n?.['@type'] === type)?.['#text'];
      const number = all(m.part).map((p) => p?.detail?.number).find((n) => n !== undefined);
      return { note, number };
    };
    const pages = pagePids
      .map((p) => {
        const n = notes(mods.get(p));
        const number = Number(n.number);
        return { page: Number.isInteger(number) && number > 0 ? String(number).padStart(4, '0') : `?${p}`, sourceSha512: String(n.note(SOURCE_DIGEST_NOTE) ?? '') };
      })
      .sort((a, b) => a.page.localeCompare(b.page));
    const digest = bookThere ? notes(mods.get(pid)).note(METADATA_DIGEST_NOTE) : undefined;
    return { links: this.links(pid), complete: bookThere, pages, metadataDigest: digest === undefined ? undefined : String(digest) };
  }

  async publish(collection: CollectionInfo, folder: PreparedFolder, edition: AccessEdition, run: RunScope): Promise<AccessLinks> {
    const pid = bookPid(collection.id, folder.record.componentId);
    const writer = new MetadataWriter({ maxProcs: this.s.pageConcurrency, exiftoolPath: this.s.exiftoolCommand });
    let staged;
    try {
      staged = await timePhase(run.reporter, 'pages: decode, derivatives and OCR', () => stageBook(folder, collection, edition, {
        stagingDir: this.s.stagingDir,
        recordLinkBase: this.s.recordLinkBase,
        pageConcurrency: this.s.pageConcurrency,
        derivatives: this.s,
        reporter: run.reporter,
        xmp: (image) => ({ writer, fields: xmpFields({ collection, folder: folder.record, sequence: image.sequence, imageId: image.componentId }) }),
      }));
    } finally {
      await writer.end();
    }
    for (const p of staged.ocrProblems) run.reporter.line(`⚠️ ${folder.name} page ${p.page} has no OCR: ${p.problem}`);

    return this.withRemoteDir(run, async (tmp) => {
      const parent = await this.ensureCollection(collection, tmp, run);
      await timePhase(run.reporter, 'send (rsync)', () => this.remote(run, `Sending ${folder.name} with rsync`, policies.transfer, (signal) => this.ssh.rsync(staged.bookDir, `${tmp}/books`, { policy: policies.transfer, signal })));
      const setId = await this.remote(run, 'Preparing the book batch', policies.remoteCommand, (signal) =>
        this.drush.bookBatchPreprocess({ parent, scanTarget: `${tmp}/books` }, signal),
      );
      await run.fence?.(`ingesting ${folder.name} into Islandora`);
      const { ingested, failed } = await timePhase(run.reporter, 'ingest', () => this.ingestOnce(run, setId, pid, 'Ingesting the book'));
      if (failed.length) run.reporter.line(`⚠️ Islandora could not ingest ${failed.join(', ')} (set ${setId}); see ${this.s.url}/admin/reports/islandora_batch_queue/${setId}`);
      if (!ingested.includes(pid)) run.reporter.line(`⚠️ Islandora did not ingest the book ${pid} (set ${setId}); see ${this.s.url}/admin/reports/islandora_batch_queue/${setId}`);
      // What was ingested is checked by reading the book back (the access orchestration does).
      return this.links(pid);
    });
  }

  /**
   * Purges the book with its pages (islandora_bulk_delete), or the pages an interrupted ingest
   * left without their book, and checks nothing of it is left.
   */
  async remove(collection: CollectionInfo, folder: PreparedFolder, run: RunScope): Promise<void> {
    const pid = bookPid(collection.id, folder.record.componentId);
    const bookThere = await this.remote(run, 'Looking for the book in Islandora', policies.remoteLookup, (signal) => this.drush.objectExists(pid, signal));
    const pages = await this.remote(run, 'Listing the pages of the book', policies.remoteLookup, (signal) => this.drush.listMembers(pid, signal));
    if (!bookThere && pages.length === 0) return;
    await this.withRemoteDir(run, async (tmp) => {
      const pidFile = `${tmp}/pids.txt`;
      await this.writeRemoteLines(run, pidFile, bookThere ? [pid] : pages);
      await run.fence?.(`removing ${pid} from Islandora`);
      const r = await this.remote(run, `Removing ${pid} from Islandora`, policies.remoteCommand, (signal) => this.drush.purge(pidFile, signal));
      if (r.failed.length) throw new PermanentError(`Islandora could not delete ${r.failed.join(', ')}; remove them by hand (drush islandora_bulk_delete_delete) and run access again.`);
    });
    const left = [
      ...((await this.remote(run, 'Checking the book is gone', policies.remoteLookup, (signal) => this.drush.objectExists(pid, signal))) ? [pid] : []),
      ...(await this.remote(run, 'Checking the pages are gone', policies.remoteLookup, (signal) => this.drush.listMembers(pid, signal))),
    ];
    if (left.length) throw new PermanentError(`Islandora still holds ${left.join(', ')} after removing ${pid}; remove them by hand and run access again.`);
    run.reporter.line(`🗑️ Removed ${pid} and its ${pages.length} page(s) from Islandora.`);
  }

  /** Runs `fn` with a fresh remote temporary folder (mktemp -d), removed afterwards. */
  private async withRemoteDir<T>(run: RunScope, fn: (tmp: string) => Promise<T>): Promise<T> {
    const tmp = await this.remote(run, 'Making a remote temporary folder', policies.remoteLookup, async (signal) => {
      const r = await this.ssh.run(['mktemp', '-d'], { policy: policies.remoteLookup, signal });
      const path = r.stdout.trim();
      if (r.code !== 0 || !path.startsWith('/')) throw new PermanentError(`mktemp -d failed on ${this.ssh.label}: ${r.stderr.trim() || path}`);
      return path;
    });
    try {
      return await fn(tmp);
    } finally {
      await this.removeRemote(tmp, run);
    }
  }

  /** Writes lines to a remote file (each line an argument of printf, so nothing is interpreted). */
  private async writeRemoteLines(run: RunScope, path: string, lines: string[]): Promise<void> {
    await this.remote(run, 'Writing a PID list on the server', policies.remoteLookup, async (signal) => {
      const r = await this.ssh.run(['sh', '-c', 'f="$1"; shift; printf "%s\\n" "$@" > "$f"', 'sh', path, ...lines], { policy: policies.remoteLookup, signal });
      if (r.code !== 0) throw new PermanentError(`Could not write ${path} on ${this.ssh.label}: ${r.stderr.trim()}`);
    });
  }

  /** One datastream of several objects, through islandora_datastream_crud_fetch_datastreams; by PID. */
  private async readDatastreams(run: RunScope, tmp: string, pids: string[], dsid: string): Promise<Map<string, string>> {
    const pidFile = `${tmp}/pids.txt`;
    const dir = `${tmp}/datastreams`;
    await this.writeRemoteLines(run, pidFile, pids);
    const retrieved = await this.remote(run, `Reading the ${dsid} of ${pids.length} object(s)`, policies.remoteLookup, (signal) => this.drush.fetchDatastreams({ pidFile, dsid, dir, extension: 'xml' }, signal));
    const out = new Map<string, string>();
    if (retrieved.length === 0) return out;
    const files = retrieved.map((p) => `${dir}/${p.replace(':', '_')}_${dsid}.xml`);
    const r = await this.remote(run, `Reading the ${dsid} files`, policies.remoteLookup, (signal) => this.ssh.run(['tail', '-v', '-n', '+1', '--', ...files], { policy: policies.remoteLookup, signal }));
    if (r.code !== 0) throw new PermanentError(`Could not read the fetched ${dsid} datastreams on ${this.ssh.label}: ${r.stderr.trim()}`);
    // tail -v prints "==> <file> <==" before each file: [before, name1, text1, name2, text2, …].
    const parts = r.stdout.split(/^==> (.+) <==\n/m);
    for (let i = 1; i + 1 < parts.length; i += 2) {
      const k = files.indexOf(parts[i]);
      if (k !== -1) out.set(retrieved[k], parts[i + 1]);
    }
    return out;
  }

  private async ensureCollection(collection: CollectionInfo, tmp: string, run: RunScope): Promise<string> {
    const wanted = collectionPid(this.s.namespace, collection.id);
    const known = this.collections.get(collection.id);
    if (known) return known;
    let pid = await this.remote(run, 'Looking for the collection in Islandora', policies.remoteLookup, (signal) => this.drush.findCollection(wanted, signal));
    if (!pid) {
      run.reporter.line(`🆕 Creating the Islandora collection ${wanted}`);
      const staged = await stageCollection(this.s.stagingDir, this.s.namespace, collection);
      await this.remote(run, 'Sending the collection metadata with rsync', policies.transfer, (signal) => this.ssh.rsync(staged.scanTarget, tmp, { policy: policies.transfer, signal }));
      const setId = await this.remote(run, 'Preparing the collection', policies.remoteCommand, (signal) =>
        this.drush.batchWithDerivsPreprocess({
          contentModel: 'islandora:collectionCModel',
          namespace: this.s.namespace,
          parent: this.s.parentCollection,
          scanTarget: `${tmp}/collections`,
        }, signal),
      );
      await run.fence?.(`creating the Islandora collection ${wanted}`);
      const { ingested } = await this.ingestOnce(run, setId, wanted, 'Creating the collection', (signal) => this.drush.findCollection(wanted, signal));
      pid = ingested.find((p) => p === wanted) ?? ingested[0];
      if (!pid) throw new PermanentError(`Islandora did not create the collection ${wanted} (set ${setId}); see ${this.s.url}/admin/reports/islandora_batch_queue/${setId}.`);
      run.reporter.line(`✅ Created the Islandora collection: ${this.links(pid).objectUrl}`);
    }
    this.collections.set(collection.id, pid);
    return pid;
  }

  /**
   * Ingests a batch set, never twice: an attempt that timed out (or lost its connection) may still
   * be ingesting on the server, so before another attempt the object is looked up, and if it is
   * there the ingest is not run again. (Ingesting the same set again only ingests what it has not.)
   */
  private ingestOnce(
    run: RunScope,
    setId: string,
    pid: string,
    what: string,
    lookUp: (signal: AbortSignal) => Promise<unknown> = (signal) => this.drush.objectExists(pid, signal),
  ): Promise<{ ingested: string[]; failed: string[] }> {
    return this.remote(run, what, policies.remoteCommand, async (signal, attempt) => {
      if (attempt > 1) {
        const found = await lookUp(signal);
        if (found) {
          run.reporter.line(`↩️ ${pid} is in Islandora: the interrupted ingest of set ${setId} finished on the server, so it is not ingested again.`);
          return { ingested: [typeof found === 'string' ? found : pid], failed: [] };
        }
      }
      return this.drush.ingest(setId, signal);
    });
  }

  private async removeRemote(tmp: string, run: RunScope): Promise<void> {
    // Only ever remove what mktemp gave us.
    if (!/^\/[\w./-]+$/.test(tmp) || tmp.split('/').includes('..')) return;
    try {
      const r = await this.ssh.run(['rm', '-rf', '--', tmp], { policy: policies.remoteLookup });
      if (r.code !== 0) run.reporter.line(`⚠️ Could not remove ${tmp} on ${this.ssh.label}: ${r.stderr.trim()}`);
    } catch (err) {
      run.reporter.line(`⚠️ Could not remove ${tmp} on ${this.ssh.label}: ${(err as Error).message}`);
    }
  }
}

