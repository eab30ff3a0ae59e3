/**
 * The preservation network destination: after a version's preservation copies (S3, tape) have
 * verified, the version is registered with the network's Ingest service as one bag — the files
 * the version added (payload, its inventory and sidecar, the object declaration and the root
 * inventory and sidecar) with their sha256, the ACE tokens of its payload, and its token store —
 * staged for the nodes to pull, and followed to PRESERVED. Files of earlier versions are never
 * registered again ("files which do not change are not re-distributed").
 *
 * Every step asks Ingest what it already holds first (bag by name, registered files, tokens,
 * staging), so a rerun after a crash at any point registers nothing twice.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { copyWithDigests, hashFile, sha256Hex } from '../../hash.js';
import { filesToSend, objectPath, readInventory, tokenStorePath } from '../../ocfl/index.js';
import { parseTokenStore } from '../../ocfl/ace/index.js';
import { PermanentError, sleep } from '../../policies.js';
import type { CheckResult, PreparedFolder, PreservationPackage, RunScope } from '../destination.js';
import { FAILED_REPLICATION, IngestClient, type Bag, type FileCreate } from './client.js';
import { deprecateInRecord, generationOf, networkRecordOf, updateNetworkRecord, type VersionInNetwork } from './records.js';
import type { NetworkSettings } from './settings.js';

export interface NetworkDestinationOptions extends NetworkSettings {
  /** The status folder the network records go to. */
  statusDir: string;
}

/** The bag name of an object version: the object id without its scheme, in the characters bag names allow. */
export function bagNameOf(objectId: string, version: string, generation = 0): string {
  const base = objectId.replace(/^[a-z]+:\/\//i, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');
  return `${base}${generation ? `_g${generation}` : ''}_${version}`;
}

const VALIDATION_FILE = '/inventory.json.sha512';

export class NetworkDestination {
  readonly platform = 'chronopolis';
  readonly client: IngestClient;

  constructor(readonly options: NetworkDestinationOptions, client?: IngestClient) {
    this.client = client ?? new IngestClient({ baseUrl: options.ingestUrl, username: options.username, password: options.password });
  }

  async check(): Promise<CheckResult> {
    try {
      await this.client.findBag('distillery-check');
      return { ok: true, detail: `network: Ingest ${this.options.ingestUrl} reachable (depositor ${this.options.depositor})` };
    } catch (err) {
      return { ok: false, detail: `network: Ingest ${this.options.ingestUrl} not reachable: ${(err as Error).message}` };
    }
  }

  /** Registers the folder's object version (if not yet), stages it, follows it towards PRESERVED and records where it got to. */
  async deliver(run: RunScope, folder: PreparedFolder): Promise<VersionInNetwork> {
    const pkg = folder.package;
    if (!pkg) throw new PermanentError(`${folder.name} has no preservation package: the network registers OCFL object versions.`);
    const { reporter } = run;
    // Every call to Ingest, and the following, stops when the run is stopped.
    const client = this.client.forRun(run.signal);
    const name = bagNameOf(pkg.objectId, pkg.version, await generationOf(this.options.statusDir, run.collectionId, pkg.objectId));
    const record = (change: Partial<VersionInNetwork>) => updateNetworkRecord(this.options.statusDir, run.collectionId, pkg.objectId, pkg.version, { bagName: name, ...change });

    let bag = await client.findBag(name);
    if (bag?.status === 'PRESERVED') {
      reporter.line(`↩️ ${folder.name}: ${pkg.objectId} ${pkg.version} is already preserved in the network (bag ${name}); nothing registered.`);
      return record({ bagId: bag.id, status: bag.status, replications: await this.replicationsOf(client, bag) });
    }
    if (bag && ['DEPRECATED', 'DELETED', 'ERROR'].includes(bag.status)) {
      throw new PermanentError(`Bag ${name} (${pkg.objectId} ${pkg.version}) is ${bag.status} in the network: it is not registered again under the same name. Ask the network administrators what happened to it.`);
    }

    const files = await this.bagFiles(pkg);
    if (!bag) {
      bag = await client.createBag({ name, size: files.reduce((s, f) => s + f.size, 0), totalFiles: files.length, storageRegion: this.options.storageRegion, location: name, depositor: this.options.depositor });
      reporter.line(`🌐 ${folder.name}: registered ${pkg.objectId} ${pkg.version} with the network as bag ${name} (id ${bag.id}).`);
    }
    await record({ bagId: bag.id, status: bag.status, problem: undefined });

    // Files (and their sha256): only those Ingest does not have yet.
    const registered = await client.registeredFiles(bag.id);
    const missing = files.filter((f) => !registered.has(f.filename));
    if (missing.length === 1) await client.registerFile(bag.id, missing[0]);
    else if (missing.length > 1) await client.registerFiles(bag.id, missing);
    if (missing.length) reporter.line(`🌐 ${name}: ${missing.length} file(s) registered with their sha256.`);

    // The bag, staged for the nodes to pull.
    await this.stageFiles(pkg, name);
    await client.stage(bag.id, 'BAG', { location: name, validationFile: VALIDATION_FILE, storageRegion: this.options.storageRegion, totalFiles: files.length, size: files.reduce((s, f) => s + f.size, 0) });

    // ACE tokens of the payload the version added, then the token store itself.
    const storePath = tokenStorePath(pkg.storageRoot, pkg.objectId, pkg.version);
    const storeText = await readFile(storePath).catch(() => {
      throw new PermanentError(`${pkg.objectId} ${pkg.version} has no ACE token store (${storePath}): make it with \`distillery ocfl tokens ${pkg.storageRoot} ${pkg.objectId} --version ${pkg.version}\`, then run again.`);
    });
    const tokened = await client.tokenedFiles(bag.id);
    let posted = 0;
    for (const e of parseTokenStore(storeText.toString('utf8'))) {
      for (const id of e.identifiers) {
        const filename = `/${id}`;
        if (tokened.has(filename)) continue;
        await client.registerToken(bag.id, { filename, round: e.round, createDate: e.date, proof: e.proof.join('\n'), imsHost: e.imsHost, algorithm: e.digestService, imsService: e.tokenClass });
        posted++;
      }
    }
    if (posted) reporter.line(`🔏 ${name}: ${posted} ACE token(s) registered.`);
    const storeName = `${name}.tokens`;
    const storeSha256 = sha256Hex(storeText);
    await client.registerTokenStore(bag.id, { filename: `/${storeName}`, size: storeText.length, sha256: storeSha256 });
    const stagedStore = join(this.options.stagingDir, 'tokens', storeName);
    await this.copyOnce(storePath, stagedStore, { sha256: storeSha256 });
    await client.stage(bag.id, 'TOKEN', { location: `tokens/${storeName}`, validationFile: `/${storeName}`, storageRegion: this.options.storageRegion, totalFiles: 1, size: storeText.length });

    return this.follow(run, client, folder, bag.id, name, record);
  }

  /**
   * After a purge (src/ocfl/purge.ts) of a registered object: "deprecate and redistribute". Every
   * bag of the old history is marked DEPRECATED in Ingest and in the record (with the reason), and
   * every version of the purged object — whose tokens the purge remade — is registered, staged and
   * followed afresh under new bag names (the next generation).
   */
  async purge(run: RunScope, p: { storageRoot: string; objectId: string; purgedObjectId: string; reason: string }): Promise<VersionInNetwork[]> {
    const rec = await networkRecordOf(this.options.statusDir, run.collectionId);
    for (const [version, v] of Object.entries(rec?.objects[p.objectId] ?? {})) {
      if (version.includes('/') || v.bagId === undefined) continue;
      const bag = await this.client.bag(v.bagId);
      if (bag.status !== 'DEPRECATED') await this.client.setBagStatus(v.bagId, 'DEPRECATED');
      run.reporter.line(`🗑️ ${v.bagName}: deprecated in the network (${p.reason}).`);
    }
    const generation = await deprecateInRecord(this.options.statusDir, run.collectionId, p.objectId, p.reason);
    const inv = await readInventory(p.storageRoot, p.purgedObjectId);
    if (!inv) throw new PermanentError(`The purged object ${p.purgedObjectId} is not in ${p.storageRoot}.`);
    const out: VersionInNetwork[] = [];
    for (const version of Object.keys(inv.versions).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))) {
      const folder = { name: p.purgedObjectId, path: '', images: [], record: {} as never, arrangement: {} as never, package: { storageRoot: p.storageRoot, objectId: p.purgedObjectId, objectPath: objectPath(p.purgedObjectId), version, payloadLocal: true } };
      out.push(await this.deliver(run, folder));
    }
    run.reporter.line(`🌐 ${p.purgedObjectId}: the purged history is registered again in the network (generation ${generation}).`);
    return out;
  }

  /** Polls the bag until PRESERVED, a replication failure, or NETWORK_FOLLOW_MINUTES. */
  private async follow(run: RunScope, client: IngestClient, folder: PreparedFolder, bagId: number, name: string, record: (c: Partial<VersionInNetwork>) => Promise<VersionInNetwork>): Promise<VersionInNetwork> {
    const until = Date.now() + this.options.followMinutes * 60_000;
    let last = '';
    for (;;) {
      const bag = await client.bag(bagId);
      const replications = await this.replicationsOf(client, bag);
      const summary = `${bag.status}${replications.length ? ` (${replications.map((r) => `${r.node} ${r.status}`).join(', ')})` : ''}`;
      if (summary !== last) {
        run.reporter.line(`🌐 ${name}: ${summary}`);
        last = summary;
      }
      const failed = replications.filter((r) => FAILED_REPLICATION.has(r.status));
      if (failed.length) {
        const why = `Replication of ${name} (${folder.package!.objectId} ${folder.package!.version}) failed on ${failed.map((r) => `${r.node} (${r.status})`).join(', ')}. ` +
          'The local and cloud copies are not affected. Ask the network administrators to look at those nodes; once they restart the replication, a rerun follows the bag again.';
        await record({ status: bag.status, replications, problem: why });
        throw new PermanentError(why);
      }
      if (bag.status === 'PRESERVED') {
        run.reporter.line(`✅ ${folder.name}: ${name} is preserved in the network on ${replications.map((r) => r.node).join(', ')}.`);
        return record({ status: bag.status, replications, problem: undefined });
      }
      if (Date.now() >= until) {
        run.reporter.line(`⏳ ${folder.name}: ${name} is ${bag.status} in the network; the next run or audit records when it is preserved.`);
        return record({ status: bag.status, replications });
      }
      await sleep(this.options.pollSeconds * 1000, run.signal);
      if (run.signal?.aborted) throw new PermanentError(`The run was stopped while following ${name} in the network; it is ${bag.status} there. A rerun follows it again.`);
    }
  }

  private async replicationsOf(client: IngestClient, bag: Bag) {
    return (await client.replications(bag.id)).map((r) => ({ node: r.node, status: r.status }));
  }

  /** The version's files as Ingest registers them: "/"-rooted names, sizes and sha256. */
  private async bagFiles(pkg: PreservationPackage): Promise<FileCreate[]> {
    const objectRoot = join(pkg.storageRoot, pkg.objectPath || objectPath(pkg.objectId));
    const out: FileCreate[] = [];
    for (const f of await filesToSend(pkg.storageRoot, pkg.objectId, pkg.version)) {
      const sha256 = f.sha256 ?? (await hashFile(join(objectRoot, f.path), ['sha256'])).digests.sha256;
      out.push({ filename: `/${f.path}`, size: f.bytes, sha256 });
    }
    return out;
  }

  /** Copies the version's files into the staging folder (checked while copying; files already there and equal are kept). */
  private async stageFiles(pkg: PreservationPackage, name: string): Promise<void> {
    const objectRoot = join(pkg.storageRoot, pkg.objectPath || objectPath(pkg.objectId));
    for (const f of await filesToSend(pkg.storageRoot, pkg.objectId, pkg.version)) {
      await this.copyOnce(join(objectRoot, f.path), join(this.options.stagingDir, name, f.path), { sha512: f.sha512, sha256: f.sha256 });
    }
  }

  private async copyOnce(src: string, dst: string, expected: { sha512?: string; sha256?: string }): Promise<void> {
    const there = await stat(dst).catch(() => undefined);
    if (there) {
      const src256 = expected.sha256 ?? (await hashFile(src, ['sha256'])).digests.sha256;
      if ((await hashFile(dst, ['sha256'])).digests.sha256 === src256) return;
      throw new PermanentError(`${dst} is already staged but differs from ${src}: remove it from NETWORK_STAGING_DIR and run again.`);
    }
    await mkdir(dirname(dst), { recursive: true });
    await copyWithDigests(src, dst, expected);
  }
}
