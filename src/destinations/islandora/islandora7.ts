/**
 * Islandora 7 as the original published to it: stage the book locally, make a remote temporary
 * folder, rsync, find the collection object (create it with islandora_batch_with_derivs when drush
 * says NO_PIDS_FOUND), preprocess the book with islandora_book_batch and ingest the set, check the
 * book's PID was ingested, and remove the remote folder.
 */
import { access } from 'node:fs/promises';
import { runChild } from '../../childProcess.js';
import { policies, PermanentError, withRetry, type RetryPolicy } from '../../policies.js';
import type { CheckResult, PreparedFolder, RunScope } from '../destination.js';
import type { CollectionInfo } from './collectionInfo.js';
import { Drush } from './drush.js';
import { bookPid, collectionPid } from './pid.js';
import type { AccessLinks, AccessPlatform } from './platform.js';
import type { IslandoraSettings } from './settings.js';
import { SshError, SshTarget } from './ssh.js';
import { stageBook, stageCollection } from './staging.js';

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

  async find(collection: CollectionInfo, folder: PreparedFolder, run: RunScope): Promise<AccessLinks | undefined> {
    await this.preflight();
    const pid = bookPid(collection.id, folder.record.componentId);
    const exists = await this.remote(run, 'Looking for the book in Islandora', policies.remoteLookup, (signal) => this.drush.objectExists(pid, signal));
    return exists ? this.links(pid) : undefined;
  }

  async publish(collection: CollectionInfo, folder: PreparedFolder, run: RunScope): Promise<AccessLinks> {
    const pid = bookPid(collection.id, folder.record.componentId);
    const staged = await stageBook(folder, collection, {
      stagingDir: this.s.stagingDir,
      recordLinkBase: this.s.recordLinkBase,
      pageConcurrency: this.s.pageConcurrency,
      derivatives: this.s,
      reporter: run.reporter,
      signal: run.signal,
    });
    for (const p of staged.ocrProblems) run.reporter.line(`⚠️ ${folder.name} page ${p.page} has no OCR: ${p.problem}`);

    const tmp = await this.remote(run, 'Making a remote temporary folder', policies.remoteLookup, async (signal) => {
      const r = await this.ssh.run(['mktemp', '-d'], { policy: policies.remoteLookup, signal });
      const path = r.stdout.trim();
      if (r.code !== 0 || !path.startsWith('/')) throw new PermanentError(`mktemp -d failed on ${this.ssh.label}: ${r.stderr.trim() || path}`);
      return path;
    });
    try {
      const parent = await this.ensureCollection(collection, tmp, run);
      await this.remote(run, `Sending ${folder.name}`, policies.transfer, (signal) => this.ssh.rsync(staged.bookDir, `${tmp}/books`, { policy: policies.transfer, signal }));
      const setId = await this.remote(run, 'Preparing the book batch', policies.remoteCommand, (signal) =>
        this.drush.bookBatchPreprocess({ parent, scanTarget: `${tmp}/books` }, signal),
      );
      await run.fence?.(`ingesting ${folder.name} into Islandora`);
      const ingested = await this.ingestOnce(run, setId, pid, 'Ingesting the book');
      // Verify: drush logs each ingested PID; a book skipped as existing would not be listed.
      if (!ingested.includes(pid) && !(await this.remote(run, 'Checking the book', policies.remoteLookup, (signal) => this.drush.objectExists(pid, signal)))) {
        throw new PermanentError(
          `Islandora did not ingest ${pid} (set ${setId}); see ${this.s.url}/admin/reports/islandora_batch_queue/${setId} for why.`,
        );
      }
      return this.links(pid);
    } finally {
      await this.removeRemote(tmp, run);
    }
  }

  private async ensureCollection(collection: CollectionInfo, tmp: string, run: RunScope): Promise<string> {
    const wanted = collectionPid(this.s.namespace, collection.id);
    const known = this.collections.get(collection.id);
    if (known) return known;
    let pid = await this.remote(run, 'Looking for the collection in Islandora', policies.remoteLookup, (signal) => this.drush.findCollection(wanted, signal));
    if (!pid) {
      run.reporter.line(`🆕 Creating the Islandora collection ${wanted}`);
      const staged = await stageCollection(this.s.stagingDir, this.s.namespace, collection);
      await this.remote(run, 'Sending the collection metadata', policies.transfer, (signal) => this.ssh.rsync(staged.scanTarget, tmp, { policy: policies.transfer, signal }));
      const setId = await this.remote(run, 'Preparing the collection', policies.remoteCommand, (signal) =>
        this.drush.batchWithDerivsPreprocess({
          contentModel: 'islandora:collectionCModel',
          namespace: this.s.namespace,
          parent: this.s.parentCollection,
          scanTarget: `${tmp}/collections`,
        }, signal),
      );
      await run.fence?.(`creating the Islandora collection ${wanted}`);
      const ingested = await this.ingestOnce(run, setId, wanted, 'Creating the collection', (signal) => this.drush.findCollection(wanted, signal));
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
  private ingestOnce(run: RunScope, setId: string, pid: string, what: string, lookUp: (signal: AbortSignal) => Promise<unknown> = (signal) => this.drush.objectExists(pid, signal)): Promise<string[]> {
    return this.remote(run, what, policies.remoteCommand, async (signal, attempt) => {
      if (attempt > 1) {
        const found = await lookUp(signal);
        if (found) {
          run.reporter.line(`↩️ ${pid} is in Islandora: the interrupted ingest of set ${setId} finished on the server, so it is not ingested again.`);
          return [typeof found === 'string' ? found : pid];
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

