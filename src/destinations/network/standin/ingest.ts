/**
 * Stand-in for the Chronopolis Ingest REST service and its replicating nodes, for tests and the
 * demo (the real service needs Spring Boot, PostgreSQL and a network of nodes). It follows the
 * contract of chronopolis-core at commit 955066b9b065b13b36f37d07f5fa2f22952d6ccf
 * (github.com/Chronopolis-Digital-Preservation/chronopolis-core):
 *
 * - BagController / BagDao: POST /api/bags → 201 Bag, 400 ["Depositor does not exist: …"],
 *   409 ["Bag already exists: <name>"] (bag names are unique); GET /api/bags (name, depositor,
 *   status; page, pageSize — default 25 — as a Spring Page); GET /api/bags/{id} → 404 when absent;
 *   PUT /api/bags/{id} BagUpdate{status}.
 * - FileController / BagFileDao: POST /api/bags/{id}/file FileCreate → 201, 400, 409 (filename
 *   already registered); BatchFileController: POST /api/bags/{id}/files multipart `file`
 *   (text/csv, header FILENAME,SIZE,FIXITY_VALUE,FIXITY_ALGORITHM, case-insensitive) → 200;
 *   400 on a bad header or line; files already registered are skipped; filenames get a leading "/";
 *   GET /api/bags/{id}/download (filenames, one a line); GET /api/bags/{id}/files (page).
 *   FixityAlgorithm: only SHA-256 (sha256, sha-256, sha_256).
 * - BagTokenController / TokenDao: POST /api/bags/{id}/tokens AceTokenCreate → 201; 400 when the
 *   bag or file is unknown; 409 when the file already has a token; GET /api/bags/{id}/tokens (page).
 * - BagStorageController / StagingDao: PUT /api/bags/{id}/storage/{BAG|TOKEN} StagingCreate → 201;
 *   400 when the bag, region or validation file is unknown; 409 when active storage exists;
 *   GET …/storage/{type} → 404 when absent.
 * - ReplicationController / FixityChecker: GET /api/replications (bagId, node, status; paged),
 *   GET /api/replications/{id}; nodes PUT …/tokenstore and …/tagmanifest FixityUpdate{fixity}
 *   (a mismatch fails the replication with FAILURE_TOKEN_STORE / FAILURE_TAG_MANIFEST), PUT
 *   …/status ReplicationStatusUpdate, PUT …/failure.
 * - Bag lifecycle (ingest-bag-lifecycle.adoc, BagStatus.kt): DEPOSITED → INITIALIZED when
 *   count(file) == totalFiles and the bag is staged → TOKENIZED when the tokens and the token store
 *   are in place → REPLICATING when a replication per node is created → PRESERVED when every
 *   replication succeeded. DEPRECATED / DELETED / ERROR are set by PUT /api/bags/{id}.
 *
 * Two changes the OCFL intake design asks of Ingest (and the real service does not have yet):
 * tokens are required for payload files only (`…/content/…`), not for inventories and sidecars;
 * and the depositor registers the token store it wrote with POST /api/bags/{id}/tokenstore
 * FileCreate (the real Ingest writes the token store itself). The validation file of an OCFL bag
 * is `/inventory.json.sha512`, the root inventory's sidecar.
 *
 * The nodes are simulated here: each pulls the bag from its staging folder, checks every file's
 * sha256, the root inventory against its sidecar and the token store's digest, loads the tokens,
 * audits every payload file against its token (the proof must lead to the IMS round summary),
 * and moves its replication through STARTED → TRANSFERRED → ACE_REGISTERED → ACE_TOKEN_LOADED →
 * ACE_AUDITING → SUCCESS, or to a FAILURE_* status. Faults can be injected: time-outs and 500s on
 * matching requests, and nodes whose audit fails.
 */
import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import express, { type Request, type Response } from 'express';
import { proofRoot } from '../../../ocfl/ace/hashTree.js';
import { parseTokenStore } from '../../../ocfl/ace/tokenStore.js';
import type { Ims } from '../../../ocfl/ace/ims.js';
import { hashFile } from '../../../hash.js';

export type BagStatus = 'DEPOSITED' | 'INITIALIZED' | 'TOKENIZED' | 'REPLICATING' | 'PRESERVED' | 'DEPRECATED' | 'DELETED' | 'ERROR';
export type ReplicationStatus =
  | 'PENDING' | 'STARTED' | 'TRANSFERRED' | 'SUCCESS' | 'ACE_REGISTERED' | 'ACE_TOKEN_LOADED' | 'ACE_AUDITING' | 'REMOVED'
  | 'FAILURE_ACE_AUDIT' | 'FAILURE_TOKEN_STORE' | 'FAILURE_TAG_MANIFEST' | 'FAILURE';

interface Staging { id: number; bagId: number; type: 'BAG' | 'TOKEN'; region: number; location: string; validationFile: string; totalFiles: number; size: number; active: boolean; fixity: string }
interface BagRow { id: number; name: string; size: number; totalFiles: number; depositor: string; creator: string; status: BagStatus; createdAt: string; updatedAt: string }
interface FileRow { id: number; bag: number; filename: string; size: number; fixities: { value: string; algorithm: 'SHA-256'; createdAt: string }[]; createdAt: string; updatedAt: string }
interface TokenRow { id: number; bagId: number; fileId: number; filename: string; round: number; proof: string; imsHost: string; imsService: string; algorithm: string; createDate: string }
interface ReplicationRow { id: number; bagId: number; node: string; status: ReplicationStatus; receivedTagFixity: string; receivedTokenFixity: string; createdAt: string; updatedAt: string; problem?: string }

export interface Fault {
  method?: string;
  /** Matched against the request path (without the query). */
  path: RegExp;
  /**
   * 'error': answer with `status` (default 500); 'hang': answer nothing for `ms` (the client times
   * out); 'drop': do the work, then cut the connection instead of answering (a lost answer).
   */
  kind: 'error' | 'hang' | 'drop';
  status?: number;
  ms?: number;
  /** How many matching requests it affects (default: all). */
  times?: number;
  /** Requests that match before the fault starts firing (e.g. let 2 token posts through, fail the 3rd). */
  after?: number;
  /** How often it fired. */
  fired?: number;
}

export interface IngestStandinOptions {
  /** HTTP Basic credentials the service accepts. */
  username: string;
  password: string;
  /** Depositor namespaces that exist. */
  depositors: string[];
  /** Storage region 1: the staging folder bags and token stores are pulled from. */
  stagingDir: string;
  /** Where each node keeps its copies (`<nodesDir>/<node>/<bag name>/`). */
  nodesDir: string;
  nodes: string[];
  /** The IMS whose round summaries the nodes check tokens against. */
  ims: Ims;
  /** Nodes whose ACE audit fails (they report FAILURE_ACE_AUDIT). */
  failingAuditNodes?: string[];
  port?: number;
  /** Keep the service's tables in this JSON file (the demo), so a restart remembers what was registered. */
  stateFile?: string;
}

export interface RecordedCall {
  method: string;
  path: string;
  status: number;
}

const now = () => new Date().toISOString();

export class IngestStandin {
  readonly calls: RecordedCall[] = [];
  readonly faults: Fault[] = [];
  private readonly bags: BagRow[] = [];
  private readonly files: FileRow[] = [];
  private readonly tokens: TokenRow[] = [];
  private readonly staging: Staging[] = [];
  private readonly tokenStores = new Map<number, { filename: string; size: number; fixity: string }>();
  private readonly replications: ReplicationRow[] = [];
  private seq = 0;
  private server?: import('node:http').Server;
  private readonly nodeWork = new Set<Promise<void>>();
  url = '';

  constructor(readonly options: IngestStandinOptions) {}

  /** Bags, files and tokens as the service holds them (for assertions). */
  get state() {
    return { bags: this.bags, files: this.files, tokens: this.tokens, staging: this.staging, replications: this.replications, tokenStores: this.tokenStores };
  }

  count(method: string, path: RegExp): number {
    return this.calls.filter((c) => c.method === method && path.test(c.path)).length;
  }

  async start(): Promise<string> {
    await this.load();
    const app = express();
    app.use((req, res, next) => {
      res.on('finish', () => {
        this.calls.push({ method: req.method, path: req.path, status: res.statusCode });
        if (req.method !== 'GET') this.save();
      });
      const auth = req.headers.authorization ?? '';
      const [user, pass] = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString().split(':');
      if (!auth.startsWith('Basic ') || user !== this.options.username || pass !== this.options.password) {
        res.status(401).set('WWW-Authenticate', 'Basic realm="Chronopolis Ingest"').json(springError(401, 'Unauthorized', 'Full authentication is required to access this resource', req.path));
        return;
      }
      const fault = this.faults.find((f) => (!f.method || f.method === req.method) && f.path.test(req.path) && (f.times === undefined || (f.fired ?? 0) < f.times));
      if (fault) {
        const skip = fault.after ?? 0;
        const seen = ((fault as Fault & { seen?: number }).seen = ((fault as Fault & { seen?: number }).seen ?? 0) + 1);
        if (seen > skip) {
          fault.fired = (fault.fired ?? 0) + 1;
          if (fault.kind === 'drop') {
            const socket = req.socket;
            res.end = (() => {
              this.save();
              socket.destroy();
              return res;
            }) as typeof res.end;
            return next();
          }
          if (fault.kind === 'hang') {
            setTimeout(() => { if (!res.headersSent) res.status(504).end(); }, fault.ms ?? 60_000);
            return;
          }
          res.status(fault.status ?? 500).json(springError(fault.status ?? 500, 'Internal Server Error', 'Injected fault', req.path));
          return;
        }
      }
      next();
    });
    app.use(express.json());
    app.use('/api/bags/:id/files', express.raw({ type: 'multipart/form-data', limit: '50mb' }));
    this.routes(app);
    await new Promise<void>((resolve) => {
      this.server = app.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.nodeWork]);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections?.();
  }

  private async load(): Promise<void> {
    if (!this.options.stateFile) return;
    const text = await readFile(this.options.stateFile, 'utf8').catch(() => undefined);
    if (!text) return;
    const t = JSON.parse(text) as { seq: number; bags: BagRow[]; files: FileRow[]; tokens: TokenRow[]; staging: Staging[]; tokenStores: [number, { filename: string; size: number; fixity: string }][]; replications: ReplicationRow[] };
    this.seq = t.seq;
    this.bags.push(...t.bags);
    this.files.push(...t.files);
    this.tokens.push(...t.tokens);
    this.staging.push(...t.staging);
    for (const [k, v] of t.tokenStores) this.tokenStores.set(k, v);
    this.replications.push(...t.replications);
    // Replications a restart interrupted start again.
    for (const r of this.replications.filter((x) => x.status !== 'SUCCESS' && !x.status.startsWith('FAILURE') && x.status !== 'REMOVED')) {
      r.status = 'PENDING';
      const work = this.replicate(r).finally(() => this.nodeWork.delete(work));
      this.nodeWork.add(work);
    }
  }

  private save(): void {
    if (!this.options.stateFile) return;
    const t = { seq: this.seq, bags: this.bags, files: this.files, tokens: this.tokens, staging: this.staging, tokenStores: [...this.tokenStores], replications: this.replications };
    writeFileSync(`${this.options.stateFile}.tmp`, JSON.stringify(t));
    renameSync(`${this.options.stateFile}.tmp`, this.options.stateFile);
  }

  /** Waits until every node has finished what it was doing (for tests). */
  async idle(): Promise<void> {
    while (this.nodeWork.size) await Promise.allSettled([...this.nodeWork]);
  }

  private routes(app: express.Express): void {
    const bagOr404 = (req: Request, res: Response): BagRow | undefined => {
      const bag = this.bags.find((b) => b.id === Number(req.params.id));
      if (!bag) res.status(404).json(springError(404, 'Not Found', `Could not find resource bag/${req.params.id}`, req.path));
      return bag;
    };

    app.get('/api/bags', (req, res) => {
      const q = req.query as Record<string, string | undefined>;
      const rows = this.bags.filter((b) => (!q.name || b.name === q.name) && (!q.depositor || b.depositor === q.depositor) && (!q.status || b.status === q.status));
      res.json(page(rows.map((b) => this.bagView(b)), q));
    });
    app.get('/api/bags/:id', (req, res) => {
      const bag = bagOr404(req, res);
      if (bag) res.json(this.bagView(bag));
    });
    app.post('/api/bags', (req, res) => {
      const b = req.body as Record<string, unknown>;
      const errors: string[] = [];
      for (const k of ['name', 'location', 'depositor']) if (typeof b[k] !== 'string' || !b[k]) errors.push(`${k} must not be empty`);
      for (const k of ['size', 'totalFiles', 'storageRegion']) if (typeof b[k] !== 'number' || (b[k] as number) < 1) errors.push(`${k} must be greater than or equal to 1`);
      if (errors.length) return void res.status(400).json(errors);
      if (!this.options.depositors.includes(b.depositor as string)) return void res.status(400).json([`Depositor does not exist: ${b.depositor as string}`]);
      if (this.bags.some((x) => x.name === b.name)) return void res.status(409).json([`Bag already exists: ${b.name as string}`]);
      const row: BagRow = { id: ++this.seq, name: b.name as string, size: b.size as number, totalFiles: b.totalFiles as number, depositor: b.depositor as string, creator: this.options.username, status: 'DEPOSITED', createdAt: now(), updatedAt: now() };
      this.bags.push(row);
      res.status(201).json(this.bagView(row));
    });
    app.put('/api/bags/:id', (req, res) => {
      const bag = bagOr404(req, res);
      if (!bag) return;
      const status = (req.body as { status?: BagStatus }).status;
      if (status) bag.status = status;
      bag.updatedAt = now();
      res.json(this.bagView(bag));
    });

    app.get('/api/bags/:id/files', (req, res) => {
      res.json(page(this.files.filter((f) => f.bag === Number(req.params.id)), req.query as Record<string, string>));
    });
    app.get('/api/bags/:id/download', (req, res) => {
      res.type('text/plain').send(this.files.filter((f) => f.bag === Number(req.params.id)).map((f) => `${f.filename}\n`).join(''));
    });
    app.post('/api/bags/:id/file', (req, res) => {
      const bag = this.bags.find((b) => b.id === Number(req.params.id));
      const c = req.body as { filename?: string; size?: number; fixity?: string; fixityAlgorithm?: string };
      if (!bag) return void res.status(400).json({ message: 'Bag does not exist!' });
      if (!c.filename || typeof c.size !== 'number' || c.size < 1 || !c.fixity || !isSha256(c.fixityAlgorithm)) return void res.status(400).json({ message: 'Invalid file' });
      const filename = slash(c.filename);
      if (this.files.some((f) => f.bag === bag.id && f.filename === filename)) return void res.status(409).json({ message: `File already exists: ${filename}` });
      const row = this.addFile(bag, filename, c.size, c.fixity);
      this.advance();
      res.status(201).json(row);
    });
    app.post('/api/bags/:id/files', (req, res) => {
      const bag = this.bags.find((b) => b.id === Number(req.params.id));
      if (!bag) return void res.status(400).end();
      const csv = multipartFile(req);
      if (!csv || !/^(text\/csv|text\/plain)/.test(csv.type) || csv.text.trim() === '') return void res.status(400).end();
      let table: string[][];
      try {
        table = parseCsv(csv.text, { trim: true, skip_empty_lines: true }) as string[][];
      } catch (err) {
        return void res.status(400).send(`Inconsistent csv! ${(err as Error).message}`);
      }
      const header = table[0].map((h) => h.toUpperCase());
      const want = ['FILENAME', 'SIZE', 'FIXITY_VALUE', 'FIXITY_ALGORITHM'];
      if (header.length !== 4 || !want.every((w) => header.includes(w))) return void res.status(400).send('Invalid headers for csv!');
      const rows: [string, number, string][] = [];
      for (const [i, cells] of table.slice(1).entries()) {
        const get = (k: string) => cells[header.indexOf(k)];
        const size = Number(get('SIZE'));
        if (!Number.isInteger(size) || !isSha256(get('FIXITY_ALGORITHM'))) return void res.status(400).send(`Invalid record at line ${i + 1}`);
        rows.push([slash(get('FILENAME')), size, get('FIXITY_VALUE')]);
      }
      for (const [filename, size, fixity] of rows) if (!this.files.some((f) => f.bag === bag.id && f.filename === filename)) this.addFile(bag, filename, size, fixity);
      this.advance();
      res.status(200).end();
    });

    app.get('/api/bags/:id/tokens', (req, res) => {
      res.json(page(this.tokens.filter((t) => t.bagId === Number(req.params.id)), req.query as Record<string, string>));
    });
    app.post('/api/bags/:id/tokens', (req, res) => {
      const bag = this.bags.find((b) => b.id === Number(req.params.id));
      const t = req.body as Partial<TokenRow> & { createDate?: string };
      const missing = ['proof', 'imsHost', 'filename', 'algorithm', 'imsService'].filter((k) => !t[k as keyof TokenRow]);
      if (missing.length || typeof t.round !== 'number' || t.round < 0) return void res.status(400).end();
      const file = bag && this.files.find((f) => f.bag === bag.id && f.filename === slash(t.filename!));
      if (!bag || !file) return void res.status(400).end();
      if (this.tokens.some((x) => x.fileId === file.id)) return void res.status(409).end();
      const row: TokenRow = { id: ++this.seq, bagId: bag.id, fileId: file.id, filename: file.filename, round: t.round, proof: t.proof!, imsHost: t.imsHost!, imsService: t.imsService!, algorithm: t.algorithm!, createDate: t.createDate ?? now() };
      this.tokens.push(row);
      this.advance();
      res.status(201).json(row);
    });
    app.post('/api/bags/:id/tokenstore', (req, res) => {
      const bag = this.bags.find((b) => b.id === Number(req.params.id));
      const c = req.body as { filename?: string; size?: number; fixity?: string; fixityAlgorithm?: string };
      if (!bag || !c.filename || !c.fixity || typeof c.size !== 'number' || !isSha256(c.fixityAlgorithm)) return void res.status(400).end();
      if (this.tokenStores.has(bag.id)) return void res.status(409).end();
      this.tokenStores.set(bag.id, { filename: slash(c.filename), size: c.size, fixity: c.fixity.toLowerCase() });
      res.status(201).json({ filename: slash(c.filename), size: c.size, fixities: [{ value: c.fixity, algorithm: 'SHA-256' }], bag: bag.id });
    });

    app.get('/api/bags/:id/storage/:type', (req, res) => {
      const s = this.staging.find((x) => x.bagId === Number(req.params.id) && x.type === req.params.type.toUpperCase() && x.active);
      if (!s) return void res.status(404).end();
      res.json(s);
    });
    app.put('/api/bags/:id/storage/:type', (req, res) => {
      const bag = this.bags.find((b) => b.id === Number(req.params.id));
      const type = req.params.type.toUpperCase();
      const c = req.body as { location?: string; validationFile?: string; storageRegion?: number; totalFiles?: number; size?: number };
      if (!bag || c.storageRegion !== 1 || (type !== 'BAG' && type !== 'TOKEN') || !c.location) return void res.status(400).end();
      if (this.staging.some((x) => x.bagId === bag.id && x.type === type && x.active)) return void res.status(409).end();
      const validationFile = slash(c.validationFile ?? '/tagmanifest-sha256.txt');
      const fixity = type === 'BAG'
        ? this.files.find((f) => f.bag === bag.id && f.filename === validationFile)?.fixities[0]?.value
        : this.tokenStores.get(bag.id)?.filename === validationFile ? this.tokenStores.get(bag.id)!.fixity : undefined;
      if (!fixity) return void res.status(400).end();
      const row: Staging = { id: ++this.seq, bagId: bag.id, type, region: 1, location: c.location, validationFile, totalFiles: c.totalFiles ?? 0, size: c.size ?? 0, active: true, fixity };
      this.staging.push(row);
      this.advance();
      res.status(201).json(row);
    });

    app.get('/api/replications', (req, res) => {
      const q = req.query as Record<string, string | undefined>;
      const rows = this.replications.filter((r) => (!q.bagId || r.bagId === Number(q.bagId)) && (!q.node || r.node === q.node) && (!q.status || r.status === q.status));
      res.json(page(rows.map((r) => this.replicationView(r)), q));
    });
    app.get('/api/replications/:id', (req, res) => {
      const r = this.replications.find((x) => x.id === Number(req.params.id));
      if (!r) return void res.status(404).end();
      res.json(this.replicationView(r));
    });
    app.put('/api/replications/:id/tokenstore', (req, res) => this.fixityUpdate(req, res, 'token'));
    app.put('/api/replications/:id/tagmanifest', (req, res) => this.fixityUpdate(req, res, 'tag'));
    app.put('/api/replications/:id/status', (req, res) => {
      const r = this.replications.find((x) => x.id === Number(req.params.id));
      if (!r) return void res.status(404).end();
      this.setStatus(r, (req.body as { status: ReplicationStatus }).status);
      res.json(this.replicationView(r));
    });
    app.put('/api/replications/:id/failure', (req, res) => {
      const r = this.replications.find((x) => x.id === Number(req.params.id));
      if (!r) return void res.status(404).end();
      this.setStatus(r, 'FAILURE');
      res.json(this.replicationView(r));
    });
  }

  private fixityUpdate(req: Request, res: Response, which: 'token' | 'tag'): void {
    const r = this.replications.find((x) => x.id === Number(req.params.id));
    if (!r) return void res.status(404).end();
    this.checkFixity(r, which, String((req.body as { fixity?: string }).fixity ?? ''));
    res.json(this.replicationView(r));
  }

  /** FixityChecker: the received value against the staged one; a mismatch fails the replication. */
  private checkFixity(r: ReplicationRow, which: 'token' | 'tag', fixity: string): boolean {
    const s = this.staging.find((x) => x.bagId === r.bagId && x.type === (which === 'token' ? 'TOKEN' : 'BAG') && x.active);
    if (which === 'token') r.receivedTokenFixity = fixity;
    else r.receivedTagFixity = fixity;
    if (!s || s.fixity !== fixity.toLowerCase()) {
      this.setStatus(r, which === 'token' ? 'FAILURE_TOKEN_STORE' : 'FAILURE_TAG_MANIFEST');
      return false;
    }
    if (r.receivedTagFixity && r.receivedTokenFixity && r.status === 'STARTED') this.setStatus(r, 'TRANSFERRED');
    return true;
  }

  private setStatus(r: ReplicationRow, status: ReplicationStatus): void {
    r.status = status;
    r.updatedAt = now();
    this.advance();
    this.save();
  }

  private addFile(bag: BagRow, filename: string, size: number, fixity: string): FileRow {
    const row: FileRow = { id: ++this.seq, bag: bag.id, filename, size, fixities: [{ value: fixity.toLowerCase(), algorithm: 'SHA-256', createdAt: now() }], createdAt: now(), updatedAt: now() };
    this.files.push(row);
    return row;
  }

  private bagView(b: BagRow) {
    const st = (type: 'BAG' | 'TOKEN') => this.staging.find((s) => s.bagId === b.id && s.type === type && s.active) ?? null;
    return {
      ...b,
      bagStorage: st('BAG'),
      tokenStorage: st('TOKEN'),
      replicatingNodes: this.replications.filter((r) => r.bagId === b.id && r.status === 'SUCCESS').map((r) => r.node),
    };
  }

  private replicationView(r: ReplicationRow) {
    const bag = this.bags.find((b) => b.id === r.bagId)!;
    const bs = this.staging.find((s) => s.bagId === r.bagId && s.type === 'BAG' && s.active);
    const ts = this.staging.find((s) => s.bagId === r.bagId && s.type === 'TOKEN' && s.active);
    return { ...r, bagLink: bs ? join(this.options.stagingDir, bs.location) : '', tokenLink: ts ? join(this.options.stagingDir, ts.location) : '', protocol: 'rsync', bag: this.bagView(bag) };
  }

  /** The Ingest's scheduled tasks, run after every change: the bag lifecycle. */
  private advance(): void {
    for (const bag of this.bags) {
      const files = this.files.filter((f) => f.bag === bag.id);
      const staged = (t: 'BAG' | 'TOKEN') => this.staging.some((s) => s.bagId === bag.id && s.type === t && s.active);
      if (bag.status === 'DEPOSITED' && files.length === bag.totalFiles && staged('BAG')) this.setBag(bag, 'INITIALIZED');
      if (bag.status === 'INITIALIZED') {
        const payload = files.filter((f) => f.filename.includes('/content/'));
        const tokened = new Set(this.tokens.filter((t) => t.bagId === bag.id).map((t) => t.fileId));
        if (payload.every((f) => tokened.has(f.id)) && staged('TOKEN')) this.setBag(bag, 'TOKENIZED');
      }
      if (bag.status === 'TOKENIZED') {
        this.setBag(bag, 'REPLICATING');
        for (const node of this.options.nodes) {
          const r: ReplicationRow = { id: ++this.seq, bagId: bag.id, node, status: 'PENDING', receivedTagFixity: '', receivedTokenFixity: '', createdAt: now(), updatedAt: now() };
          this.replications.push(r);
          const work = this.replicate(r).finally(() => this.nodeWork.delete(work));
          this.nodeWork.add(work);
        }
      }
      if (bag.status === 'REPLICATING') {
        const reps = this.replications.filter((r) => r.bagId === bag.id);
        if (reps.length && reps.every((r) => r.status === 'SUCCESS')) this.setBag(bag, 'PRESERVED');
      }
    }
  }

  private setBag(bag: BagRow, status: BagStatus): void {
    bag.status = status;
    bag.updatedAt = now();
  }

  /** What the network administrators do once a failing node is fixed: its failed replications start again. */
  restartFailedReplications(): void {
    for (const r of this.replications.filter((x) => x.status.startsWith('FAILURE'))) {
      r.status = 'PENDING';
      const work = this.replicate(r).finally(() => this.nodeWork.delete(work));
      this.nodeWork.add(work);
    }
  }

  /** One node's replication of one bag, as the Chronopolis replication service does it. */
  private async replicate(r: ReplicationRow): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const bag = this.bags.find((b) => b.id === r.bagId)!;
    const bagStaging = this.staging.find((s) => s.bagId === bag.id && s.type === 'BAG' && s.active)!;
    const tokenStaging = this.staging.find((s) => s.bagId === bag.id && s.type === 'TOKEN' && s.active)!;
    const fail = (status: ReplicationStatus, problem: string) => {
      r.problem = problem;
      this.setStatus(r, status);
    };
    this.setStatus(r, 'STARTED');
    const dest = join(this.options.nodesDir, r.node, bag.name);
    try {
      await rm(dest, { recursive: true, force: true });
      await mkdir(dest, { recursive: true });
      await cp(join(this.options.stagingDir, bagStaging.location), dest, { recursive: true });
      await cp(join(this.options.stagingDir, tokenStaging.location), `${dest}.tokens`);
    } catch (err) {
      return fail('FAILURE', `the transfer failed: ${(err as Error).message}`);
    }
    // Every registered file, by sha256.
    for (const f of this.files.filter((x) => x.bag === bag.id)) {
      // Streamed: a node checks files of any size without holding them.
      const got = await hashFile(join(dest, f.filename), ['sha256']).catch(() => undefined);
      if (!got || got.digests.sha256 !== f.fixities[0].value) return fail('FAILURE', `${f.filename} ${got ? 'does not match its registered sha256' : 'is missing from the staged bag'}`);
    }
    // The root inventory against its sidecar (the OCFL bag's "tag manifest"), then its digest to Ingest.
    const sidecar = await readFile(join(dest, bagStaging.validationFile), 'utf8').catch(() => '');
    const inventory = await readFile(join(dest, 'inventory.json')).catch(() => Buffer.alloc(0));
    if (sidecar.split(/\s+/)[0] !== createHash('sha512').update(inventory).digest('hex')) return fail('FAILURE_TAG_MANIFEST', 'the root inventory does not match its sidecar');
    if (!this.checkFixity(r, 'tag', sha256(Buffer.from(sidecar)))) return;
    const store = await readFile(`${dest}.tokens`);
    if (!this.checkFixity(r, 'token', sha256(store))) return;
    this.setStatus(r, 'ACE_REGISTERED');
    let entries;
    try {
      entries = parseTokenStore(store.toString('utf8'));
    } catch (err) {
      return fail('FAILURE_TOKEN_STORE', (err as Error).message);
    }
    this.setStatus(r, 'ACE_TOKEN_LOADED');
    this.setStatus(r, 'ACE_AUDITING');
    if (this.options.failingAuditNodes?.includes(r.node)) return fail('FAILURE_ACE_AUDIT', 'the ACE audit on this node found corrupt files');
    const summaries = new Map((await this.options.ims.roundSummaries([...new Set(entries.map((e) => e.round))])).map((s) => [s.round, s.hash.toLowerCase()]));
    for (const e of entries) {
      for (const id of e.identifiers) {
        const got = await hashFile(join(dest, id), ['sha256']).catch(() => undefined);
        if (!got) return fail('FAILURE_ACE_AUDIT', `${id} is missing`);
        let root: string;
        try {
          root = proofRoot(Buffer.from(got.digests.sha256, 'hex'), e.proof).toString('hex');
        } catch {
          return fail('FAILURE_ACE_AUDIT', `${id}: bad proof`);
        }
        if (summaries.get(e.round) !== root) return fail('FAILURE_ACE_AUDIT', `${id} does not match its token (round ${e.round})`);
      }
    }
    this.setStatus(r, 'SUCCESS');
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function isSha256(alg: unknown): boolean {
  return typeof alg === 'string' && ['sha256', 'sha-256', 'sha_256'].includes(alg.toLowerCase());
}

function slash(filename: string): string {
  return filename.startsWith('/') ? filename : `/${filename}`;
}

/** A Spring Page. */
function page<T>(rows: T[], q: Record<string, unknown>) {
  const size = Math.max(1, Number(q.pageSize ?? 25));
  const number = Math.max(0, Number(q.page ?? 0));
  const content = rows.slice(number * size, number * size + size);
  const totalPages = Math.ceil(rows.length / size);
  return {
    content,
    pageable: { sort: { sorted: false, unsorted: true, empty: true }, offset: number * size, pageNumber: number, pageSize: size, paged: true, unpaged: false },
    totalElements: rows.length, totalPages, last: number >= totalPages - 1, size, number,
    sort: { sorted: false, unsorted: true, empty: true }, numberOfElements: content.length, first: number === 0, empty: content.length === 0,
  };
}

/** Spring Boot's error body. */
function springError(status: number, error: string, message: string, path: string) {
  return { timestamp: now(), status, error, message, path };
}

/** The `file` part of a multipart/form-data body. */
function multipartFile(req: Request): { type: string; text: string } | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers['content-type'] ?? '');
  if (!m || !Buffer.isBuffer(req.body)) return undefined;
  const boundary = `--${m[1] ?? m[2]}`;
  for (const part of (req.body as Buffer).toString('utf8').split(boundary)) {
    const sep = part.indexOf('\r\n\r\n');
    if (sep < 0) continue;
    const head = part.slice(0, sep);
    if (!/name="file"/.test(head)) continue;
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? '';
    return { type, text: part.slice(sep + 4).replace(/\r\n$/, '') };
  }
  return undefined;
}
