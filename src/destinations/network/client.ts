/**
 * Client of the Chronopolis Ingest REST API (axios; HTTP Basic). Each call is one request under a
 * named retry policy: 5xx, time-outs and refused connections are retried, 4xx are not. Errors
 * never carry the credentials. The contract is chronopolis-core's (see standin/ingest.ts).
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { PermanentError, policies, withRetry, type RetryPolicy } from '../../policies.js';

export type BagStatus = 'DEPOSITED' | 'INITIALIZED' | 'TOKENIZED' | 'REPLICATING' | 'PRESERVED' | 'DEPRECATED' | 'DELETED' | 'ERROR';
export type ReplicationStatus =
  | 'PENDING' | 'STARTED' | 'TRANSFERRED' | 'SUCCESS' | 'ACE_REGISTERED' | 'ACE_TOKEN_LOADED' | 'ACE_AUDITING' | 'REMOVED'
  | 'FAILURE_ACE_AUDIT' | 'FAILURE_TOKEN_STORE' | 'FAILURE_TAG_MANIFEST' | 'FAILURE';

export const FAILED_REPLICATION: ReadonlySet<ReplicationStatus> = new Set(['FAILURE', 'FAILURE_ACE_AUDIT', 'FAILURE_TOKEN_STORE', 'FAILURE_TAG_MANIFEST']);

export interface Bag {
  id: number;
  name: string;
  size: number;
  totalFiles: number;
  depositor: string;
  status: BagStatus;
  bagStorage: unknown;
  tokenStorage: unknown;
  replicatingNodes: string[];
}

export interface Replication {
  id: number;
  node: string;
  status: ReplicationStatus;
  bag: Bag;
}

export interface FileCreate {
  filename: string;
  size: number;
  /** Lower-case hex sha256 (the only fixity Chronopolis supports). */
  sha256: string;
}

export interface TokenCreate {
  filename: string;
  round: number;
  createDate: string;
  /** Proof lines joined with newlines, as in a token store. */
  proof: string;
  imsHost: string;
  /** Digest service, e.g. SHA-256. */
  algorithm: string;
  /** Token class, e.g. SHA-256-0. */
  imsService: string;
}

export interface StagingCreate {
  location: string;
  validationFile: string;
  storageRegion: number;
  totalFiles: number;
  size: number;
}

export interface IngestClientOptions {
  baseUrl: string;
  username: string;
  password: string;
  timeoutMs?: number;
}

export class IngestError extends Error {
  override readonly name = 'IngestError';
  constructor(message: string, readonly status?: number, readonly retryable = false) {
    super(message);
  }
}

interface Page<T> {
  content: T[];
  last: boolean;
  number: number;
}

export class IngestClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly opts: IngestClientOptions,
    /** The run's stop signal: every call (and its retries) ends when it aborts. */
    private readonly signal?: AbortSignal,
  ) {
    this.http = axios.create({
      baseURL: opts.baseUrl.replace(/\/+$/, ''),
      timeout: opts.timeoutMs ?? policies.shortRequest.timeoutMs,
      auth: { username: opts.username, password: opts.password },
      validateStatus: () => true,
      headers: { Accept: 'application/json' },
    });
  }

  /** The same client, its calls stopped when `signal` aborts (the run's stop signal). */
  forRun(signal: AbortSignal | undefined): IngestClient {
    return signal ? new IngestClient(this.opts, signal) : this;
  }

  get baseUrl(): string {
    return this.opts.baseUrl;
  }

  async findBag(name: string): Promise<Bag | undefined> {
    const page = await this.call<Page<Bag>>('GET', '/api/bags', { params: { name } }, [200]);
    return page.data.content.find((b) => b.name === name);
  }

  async bag(id: number): Promise<Bag> {
    return (await this.call<Bag>('GET', `/api/bags/${id}`, {}, [200])).data;
  }

  /** POST /api/bags; a 409 (the name exists: an earlier attempt got through) returns the existing bag. */
  async createBag(create: { name: string; size: number; totalFiles: number; storageRegion: number; location: string; depositor: string }): Promise<Bag> {
    const res = await this.call<Bag>('POST', '/api/bags', { data: create }, [201, 409]);
    if (res.status === 201) return res.data;
    const existing = await this.findBag(create.name);
    if (!existing) throw new IngestError(`Ingest says bag ${create.name} exists but does not list it.`, 409);
    return existing;
  }

  async setBagStatus(id: number, status: BagStatus): Promise<Bag> {
    return (await this.call<Bag>('PUT', `/api/bags/${id}`, { data: { status } }, [200])).data;
  }

  /** GET /api/bags/{id}/download: the filenames registered so far. */
  async registeredFiles(id: number): Promise<Set<string>> {
    const res = await this.call<string>('GET', `/api/bags/${id}/download`, { responseType: 'text' }, [200]);
    return new Set(String(res.data).split('\n').filter(Boolean));
  }

  /** POST /api/bags/{id}/file; a 409 (already registered) counts as done. */
  async registerFile(id: number, f: FileCreate): Promise<void> {
    await this.call('POST', `/api/bags/${id}/file`, { data: { filename: f.filename, size: f.size, fixity: f.sha256, fixityAlgorithm: 'SHA-256' } }, [201, 409]);
  }

  /** POST /api/bags/{id}/files: the CSV batch (files already registered are skipped by Ingest). */
  async registerFiles(id: number, files: FileCreate[]): Promise<void> {
    const csv = ['FILENAME,SIZE,FIXITY_VALUE,FIXITY_ALGORITHM', ...files.map((f) => `"${f.filename.replaceAll('"', '""')}",${f.size},${f.sha256},SHA-256`)].join('\n') + '\n';
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'files.csv');
    await this.call('POST', `/api/bags/${id}/files`, { data: form }, [200, 201]);
  }

  /** Filenames that already have a token (every page). */
  async tokenedFiles(id: number): Promise<Set<string>> {
    const out = new Set<string>();
    for (let page = 0; ; page++) {
      const res = await this.call<Page<{ filename: string }>>('GET', `/api/bags/${id}/tokens`, { params: { page, pageSize: 100 } }, [200]);
      for (const t of res.data.content) out.add(t.filename);
      if (res.data.last || res.data.content.length === 0) return out;
    }
  }

  /** POST /api/bags/{id}/tokens; a 409 (the file has its token) counts as done. */
  async registerToken(id: number, t: TokenCreate): Promise<void> {
    await this.call('POST', `/api/bags/${id}/tokens`, { data: { bagId: id, ...t } }, [201, 409]);
  }

  /** POST /api/bags/{id}/tokenstore (the OCFL intake's addition to Ingest); 409 counts as done. */
  async registerTokenStore(id: number, f: FileCreate): Promise<void> {
    await this.call('POST', `/api/bags/${id}/tokenstore`, { data: { filename: f.filename, size: f.size, fixity: f.sha256, fixityAlgorithm: 'SHA-256' } }, [201, 409]);
  }

  /** PUT /api/bags/{id}/storage/{type}; a 409 (active storage exists) counts as done. */
  async stage(id: number, type: 'BAG' | 'TOKEN', s: StagingCreate): Promise<void> {
    await this.call('PUT', `/api/bags/${id}/storage/${type}`, { data: { ...s, storageUnit: 'B' } }, [201, 409]);
  }

  async replications(bagId: number): Promise<Replication[]> {
    const out: Replication[] = [];
    for (let page = 0; ; page++) {
      const res = await this.call<Page<Replication>>('GET', '/api/replications', { params: { bagId, page } }, [200]);
      out.push(...res.data.content);
      if (res.data.last || res.data.content.length === 0) return out;
    }
  }

  private async call<T>(method: string, url: string, config: { data?: unknown; params?: Record<string, unknown>; responseType?: 'text' }, ok: number[], policy: RetryPolicy = policies.shortRequest): Promise<AxiosResponse<T>> {
    return withRetry(
      policy,
      async (_attempt, signal) => {
        let res: AxiosResponse<T>;
        try {
          res = await this.http.request<T>({ method, url, ...config, signal });
        } catch (err) {
          if (this.signal?.aborted) throw new PermanentError(`The run was stopped during ${method} ${url} at the Ingest service; a rerun resumes where this stopped.`, { cause: err });
          const code = (err as { code?: string }).code ?? 'network error';
          throw new IngestError(`Could not reach the Ingest service at ${this.opts.baseUrl} for ${method} ${url} (${code}). Check NETWORK_INGEST_URL and that the service is running; a rerun resumes.`, undefined, true);
        }
        if (ok.includes(res.status)) return res;
        const body = typeof res.data === 'string' ? res.data : JSON.stringify(res.data ?? '');
        const detail = body && body !== '""' ? `: ${body.slice(0, 300)}` : '';
        if (res.status === 401 || res.status === 403) throw new PermanentError(`The Ingest service refused ${method} ${url} (${res.status}${detail}): check NETWORK_INGEST_USERNAME and NETWORK_INGEST_PASSWORD. A retry will not help.`);
        if (res.status >= 500) throw new IngestError(`The Ingest service failed on ${method} ${url} (${res.status}${detail}); a rerun resumes where this stopped.`, res.status, true);
        throw new PermanentError(`The Ingest service refused ${method} ${url} (${res.status}${detail}). A retry will not help.`);
      },
      { retryable: (err) => err instanceof IngestError && err.retryable, signal: this.signal, what: `${method} ${url} at the Ingest service` },
    );
  }
}
