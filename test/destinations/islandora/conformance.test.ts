/**
 * The Islandora access destination held to the destination conformance suite (../conformance.ts),
 * with its real far side: a real OpenSSH server and rsync on loopback with the drush stand-in
 * (src/destinations/islandora/standin), real scans (TIFFs written by sharp) made into pages with
 * opj_compress and tesseract, and the project's ArchivesSpace client against the ArchivesSpace
 * stand-in over HTTP. "Held" is counted in the drush stand-in's repository (state.json): each
 * object, a page by its book and sequence; "recorded" is the published file versions on the
 * folder's digital object in the ArchivesSpace stand-in. Faults, each counted on the server:
 *   lost answer: the stand-in's `slow-ingest` (the ingest finishes on the server, the client
 *     times out at REMOTE_COMMAND_TIMEOUT) — read from the stand-in's fired.json;
 *   damage: the server's rsync receives the book, then the first page's MODS has its source
 *     sha512 overwritten (as a bad disk or transfer would) — the book read back after the ingest
 *     does not match; the server's rsync logs each damaged file;
 *   refusal: the server's rsync runs as a user that may not write there (Permission denied), logged there;
 *   stall: the server's rsync starts and never answers (a hung mount), logged there.
 * Case (f) is skipped: an access platform takes derivatives of scans, never the preservation file.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchivesSpaceClient } from '../../../src/archivesspace/client.js';
import { buildSeed, startArchivesSpaceStandIn, type StandInHandle } from '../../../src/archivesspace/standin/index.js';
import type { PreparedFolder } from '../../../src/destinations/destination.js';
import { IslandoraDestination } from '../../../src/destinations/islandora/index.js';
import { policies } from '../../../src/policies.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { startSshd, type SshdHandle } from '../../support/sshd.js';
import { destinationConformanceWithoutBigFiles, type ConformanceHarness } from '../conformance.js';
import { makeFolder, standinSettings } from './fixtures.js';

interface StandinState {
  objects: Record<string, { models: string[]; isPageOf?: string; sequence?: number }>;
}

const countLines = async (path: string): Promise<number> => (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

async function islandoraHarness(): Promise<ConformanceHarness> {
  const work = await mkdtemp(join(tmpdir(), 'distillery-islandoraconf-'));
  let sshd: SshdHandle | undefined;
  let aspace: StandInHandle | undefined;
  const savedTimeout = policies.remoteCommand.timeoutMs;
  try {
    sshd = await startSshd();
    aspace = await startArchivesSpaceStandIn({
      seed: buildSeed({ collectionId: 'HBF', title: 'Papers of Jane Doe', folders: [{ name: 'HBF_001_01', title: 'Letters', date: '1921', extent: '2 images' }] }),
    });
  } catch (err) {
    await sshd?.stop();
    await rm(work, { recursive: true, force: true });
    throw err;
  }
  const server = sshd;
  const standin = join(server.home, '.islandora-standin');
  const serverRsync = join(server.home, 'bin', 'rsync');
  const client = new ArchivesSpaceClient({ baseUrl: aspace.url, username: 'admin', password: 'admin', repositoryId: 2, staffUrl: 'http://staff.example.org' });
  const collection = await client.findCollection('HBF');
  const collectionJsonPath = join(work, 'HBF.json');
  await writeFile(collectionJsonPath, JSON.stringify(collection.record));
  const record = await client.ensureDigitalObject(await client.findFolder('HBF_001_01'));
  let folder: PreparedFolder | undefined;

  /** Puts a wrapper in front of the server's rsync (first on the sessions' PATH); `log` counts what it did. */
  const wrapRsync = async (name: string, body: string) => {
    const log = join(server.home, `${name}.log`);
    await rm(log, { force: true });
    await writeFile(serverRsync, `#!/bin/sh\nLOG=${log}\n${body}\n`, { mode: 0o755 });
    return { fired: () => countLines(log) };
  };
  const standinFaults = async (faults: object[]) => {
    await mkdir(standin, { recursive: true });
    await writeFile(join(standin, 'faults.json'), JSON.stringify(faults));
  };

  return {
    destination: () => new IslandoraDestination(standinSettings(server, work)),
    scope: (signal) => ({ runId: 'r', collectionId: 'HBF', user: { email: 'a@example.org', name: 'A' }, processes: ['access'], reporter: new MemoryReporter(), aspace: client, signal }),
    async folder() {
      folder ??= await makeFolder(work, {
        collectionId: 'HBF', componentId: 'HBF_001_01', archivalObjectUri: record.archivalObjectUri, digitalObjectUri: record.digitalObjectUri,
        title: record.arrangement.folderTitle, record, collectionJsonPath,
        pages: [{ text: 'First page of letters', kind: 'rgb8' }, { text: 'Second page of letters', kind: 'rgb8' }],
      });
      return folder;
    },
    noBigFileBecause: 'an access platform takes derivatives of scans, never the preservation file',
    async held() {
      const out = new Map<string, number>();
      const state = JSON.parse(await readFile(join(standin, 'state.json'), 'utf8').catch(() => '{"objects":{}}')) as StandinState;
      for (const [pid, o] of Object.entries(state.objects)) {
        const key = o.isPageOf ? `${o.isPageOf} page ${o.sequence}` : pid;
        out.set(key, (out.get(key) ?? 0) + 1);
      }
      return out;
    },
    async recorded() {
      const out = new Map<string, number>();
      const versions = (aspace!.state.get(record.digitalObjectUri)?.data.file_versions as { file_uri: string; publish?: boolean }[] | undefined) ?? [];
      for (const fv of versions) if (fv.publish) out.set(fv.file_uri, (out.get(fv.file_uri) ?? 0) + 1);
      return out;
    },
    async loseAnswer() {
      // The book's ingest goes on 8 s after it has ingested everything; the client gives up at 3 s.
      policies.remoteCommand.timeoutMs = 3_000;
      await standinFaults([{ fault: 'slow-ingest', kind: 'book_batch', seconds: 8 }]);
      return {
        fired: async () => (JSON.parse(await readFile(join(standin, 'fired.json'), 'utf8').catch(() => '[]')) as { fault: string }[]).filter((f) => f.fault === 'slow-ingest').length,
      };
    },
    breakVerification: () =>
      wrapRsync('damaged', [
        '/usr/bin/rsync "$@"; rc=$?',
        'for a in "$@"; do dest="$a"; done',
        // A received page's MODS with its source sha512 overwritten (the note holds 128 hex digits).
        'for f in $(find "$dest" -path "*/books/*/0001/MODS.xml" 2>/dev/null); do',
        '  sed -i "s/>[0-9a-f]\\{128\\}</>$(printf "%0128d" 0)</" "$f" && echo "$f" >> "$LOG"',
        'done',
        'exit $rc',
      ].join('\n')),
    // The server's own rsync, run as a user without write access to the session's temporary folder.
    refuse: () => wrapRsync('refused', 'echo "$$" >> "$LOG"\nexec setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/rsync "$@"'),
    stall: () => wrapRsync('stalled', 'echo "$$" >> "$LOG"\nexec sleep 600'),
    async clearFaults() {
      policies.remoteCommand.timeoutMs = savedTimeout;
      await rm(serverRsync, { force: true });
      await rm(join(standin, 'faults.json'), { force: true });
    },
    refusalMessage: /^islandora failed while publishing HBF_001_01 \(The Islandora server \S+ refused to write .*: rsync: .*Permission denied \(13\).*\); nothing of HBF_001_01 is published, and access stops for this run: give the Distillery user write access where islandora publishes, then run access again\.$/,
    async cleanup() {
      policies.remoteCommand.timeoutMs = savedTimeout;
      await server.stop();
      await aspace?.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

destinationConformanceWithoutBigFiles('Islandora access', 'an access platform takes derivatives of scans, never the preservation file', islandoraHarness, { timeoutMs: 120_000 });
