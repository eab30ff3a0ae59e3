/**
 * The drush commands the original ran on the Islandora 7 server, and how their output is read:
 * drush_print goes to stdout, drush_log and drush_set_error to stderr. A failing command is a
 * DrushError carrying drush's own message.
 */
import { PermanentError, policies, type RetryPolicy } from '../../policies.js';
import type { CommandResult, SshTarget } from './ssh.js';

export class DrushError extends PermanentError {
  constructor(command: string, result: CommandResult) {
    const message = (result.stderr.trim() || result.stdout.trim() || '(no output)')
      .split('\n')
      .map((l) => l.replace(/\s*\[(error|warning|ok|status)\]\s*$/, ' [$1]').trim())
      .filter(Boolean)
      .join(' / ');
    super(`drush ${command} failed on the Islandora server (exit ${result.code}): ${message}`);
  }
}

const NO_PIDS = 'Sorry, no PIDS were found.';

/** Escapes Solr query syntax characters (component ids may hold "-", "~" and "."). */
export function solrEscape(s: string): string {
  return s.replace(/[+\-&|!(){}[\]^"~*?:\\/\s]/g, (c) => `\\${c}`);
}

export class Drush {
  constructor(
    private readonly ssh: SshTarget,
    private readonly drush: string,
    private readonly webroot: string,
  ) {}

  /** Look-ups run under the remoteLookup policy, batch preprocess and ingest under remoteCommand. */
  private async exec(command: string, args: string[], admin: boolean, policy: RetryPolicy, signal?: AbortSignal): Promise<CommandResult> {
    const argv = [this.drush, ...(admin ? ['--user=1'] : []), `--root=${this.webroot}`, command, ...args];
    return this.ssh.run(argv, { policy, signal, tool: `drush ${command}` });
  }

  async version(signal?: AbortSignal): Promise<string> {
    const r = await this.ssh.run([this.drush, '--version'], { policy: policies.remoteLookup, signal, tool: 'drush --version' });
    if (r.code !== 0) throw new DrushError('--version', r);
    return r.stdout.trim().replace(/\s+/g, ' ');
  }

  /** PIDs matching a Solr query; [] when drush reports NO_PIDS_FOUND. */
  async fetchPids(solrQuery: string, signal?: AbortSignal): Promise<string[]> {
    const r = await this.exec('islandora_datastream_crud_fetch_pids', [`--solr_query=${solrQuery}`], false, policies.remoteLookup, signal);
    if (r.code !== 0) {
      if (r.stderr.includes(NO_PIDS)) return [];
      throw new DrushError('islandora_datastream_crud_fetch_pids', r);
    }
    return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  }

  async objectExists(pid: string, signal?: AbortSignal): Promise<boolean> {
    const [ns, id] = splitPid(pid);
    return (await this.fetchPids(`PID:${solrEscape(ns)}\\:${solrEscape(id)}`, signal)).includes(pid);
  }

  async findCollection(pid: string, signal?: AbortSignal): Promise<string | undefined> {
    const [ns, id] = splitPid(pid);
    const pids = await this.fetchPids(`dc.identifier:${solrEscape(ns)}\\:${solrEscape(id)} AND dc.type:Collection`, signal);
    return pids[0];
  }

  /** islandora_batch_with_derivs: objects from `<scanTarget>/<ns>+<id>/`; returns the set id (from stderr). */
  async batchWithDerivsPreprocess(o: { contentModel: string; namespace: string; parent: string; scanTarget: string }, signal?: AbortSignal): Promise<string> {
    const command = 'islandora_batch_with_derivs_preprocess';
    const r = await this.exec(
      command,
      [`--content_models=${o.contentModel}`, '--key_datastream=MODS', `--namespace=${o.namespace}`, `--parent=${o.parent}`, `--scan_target=${o.scanTarget}`, '--use_pids=TRUE'],
      true,
      policies.remoteCommand,
      signal,
    );
    if (r.code !== 0) throw new DrushError(command, r);
    const m = /SetId:\s*(\d+)/.exec(r.stderr);
    if (!m) throw new DrushError(command, { ...r, stderr: `no "SetId: N" in drush's log: ${r.stderr}` });
    return m[1];
  }

  /** islandora_book_batch: books from `<scanTarget>/<ns>+<id>/`; returns the set id (printed on stdout). */
  async bookBatchPreprocess(o: { parent: string; scanTarget: string }, signal?: AbortSignal): Promise<string> {
    const command = 'islandora_book_batch_preprocess';
    const r = await this.exec(command, ['--output_set_id=TRUE', `--parent=${o.parent}`, `--scan_target=${o.scanTarget}`, '--type=directory'], true, policies.remoteCommand, signal);
    if (r.code !== 0) throw new DrushError(command, r);
    const id = r.stdout.trim();
    if (!/^\d+$/.test(id)) throw new DrushError(command, { ...r, stderr: `expected the set id on stdout, got "${id}" ${r.stderr}` });
    return id;
  }

  /** Ingests a set; returns the PIDs drush logged as "Ingested <pid>." (on stderr). */
  async ingest(setId: string, signal?: AbortSignal): Promise<string[]> {
    const command = 'islandora_batch_ingest';
    const r = await this.exec(command, [`--ingest_set=${setId}`], true, policies.remoteCommand, signal);
    if (r.code !== 0) throw new DrushError(command, r);
    return [...r.stderr.matchAll(/^Ingested (\S+?)\.?\s+\[ok\]/gm)].map((m) => m[1]);
  }
}

function splitPid(pid: string): [string, string] {
  const i = pid.indexOf(':');
  return [pid.slice(0, i), pid.slice(i + 1)];
}
