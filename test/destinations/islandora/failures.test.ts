/**
 * Failure modes of the Islandora destination, each with its message: a PID Islandora would refuse,
 * an unknown host key, a refused SSH connection, a drush failure, and a malformed staging tree
 * refused by the drush stand-in as islandora_book_batch refuses it. Real sshd and rsync on
 * loopback (test/support/sshd.ts) with the drush stand-in (src/destinations/islandora/standin).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedFolder, RunScope } from '../../../src/destinations/destination.js';
import { IslandoraDestination, type IslandoraSettings } from '../../../src/destinations/islandora/index.js';
import { Drush } from '../../../src/destinations/islandora/drush.js';
import { SshTarget } from '../../../src/destinations/islandora/ssh.js';
import { PermanentError, policies } from '../../../src/policies.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { startSshd, type SshdHandle } from '../../support/sshd.js';
import { accessRun, countingAspace, lettersFolder, standinSettings } from './fixtures.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

let sshd: SshdHandle;
let work: string;
let folder: PreparedFolder;

/** Records writes only: in these tests nothing may be written in ArchivesSpace (reading the links is allowed). */
const untouchedAspace = countingAspace();

function settings(over: Partial<IslandoraSettings> = {}, ssh: Partial<IslandoraSettings['ssh']> = {}): IslandoraSettings {
  return standinSettings(sshd, work, over, ssh);
}

function runScope(collectionId = 'HBF', reporter = new MemoryReporter()): RunScope {
  return accessRun(untouchedAspace, reporter, collectionId);
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function nothingSent(): Promise<void> {
  await expect(readdir(join(sshd.home, '.islandora-standin'))).rejects.toThrow(/ENOENT/);
  expect(await readdir(join(sshd.home, 'tmp'))).toEqual([]);
  expect(untouchedAspace.writes).toBe(0);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'distillery-islandora-fail-'));
  sshd = await startSshd();
  folder = await lettersFolder(work, [{ text: 'One page', kind: 'rgb8' }]);
}, 120_000);

afterAll(async () => {
  await sshd?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('Islandora destination failures', () => {
  it('refuses a collection ID with "_" as a book namespace before anything is sent', async () => {
    const dest = new IslandoraDestination(settings());
    const bad = { ...folder, record: { ...folder.record, componentId: 'H_BF_001_01' } };
    const err = await dest.deliver(runScope('H_BF'), bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(
      /Cannot publish H_BF_001_01 to Islandora: the namespace "H_BF" of PID H_BF:H_BF_001_01 may contain only letters, digits, "-" and "\." \(it has "_"\).*Nothing was sent; a retry cannot help\./,
    );
    await nothingSent();
  });

  it('refuses a PID longer than 64 characters', async () => {
    const long = 'HBF_001_' + 'x'.repeat(60);
    const err = await new IslandoraDestination(settings()).deliver(runScope(), { ...folder, record: { ...folder.record, componentId: long } }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/PID HBF:HBF_001_x+ is 72 characters long; Islandora allows at most 64/);
    await nothingSent();
  });

  it('reports an unknown host key without retrying or sending anything', async () => {
    const empty = join(work, 'empty_known_hosts');
    await writeFile(empty, '');
    const reporter = new MemoryReporter();
    const err = await new IslandoraDestination(settings({}, { knownHostsPath: empty })).deliver(runScope('HBF', reporter), folder).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      new RegExp(`^The host key of ${sshd.user}@127\\.0\\.0\\.1:${sshd.port} is not in the known_hosts file .*empty_known_hosts \\(or has changed\\)\\. .*A retry cannot help\\.`),
    );
    expect(reporter.lines.filter((l) => l.startsWith('🔁'))).toEqual([]);
    await nothingSent();
  });

  it('reports a refused SSH connection after retrying, and says a retry may help', async () => {
    const port = await closedPort();
    const reporter = new MemoryReporter();
    const err = await new IslandoraDestination(settings({}, { port })).deliver(runScope('HBF', reporter), folder).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      new RegExp(`^SSH connection to ${sshd.user}@127\\.0\\.0\\.1:${port} was refused: is sshd running there, and are ISLANDORA_SSH_HOST and ISLANDORA_SSH_PORT right\\? A retry may help`),
    );
    // The first remote step is reading the book back (a look-up).
    expect((err as Error).message).toMatch(/gave up after 3 attempts, remote look-up policy/);
    expect(reporter.lines.filter((l) => l.startsWith('🔁'))).toHaveLength(2);
    await nothingSent();
  });

  it('reports a key the server does not accept', async () => {
    const other = join(work, 'other_key');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const err = await new IslandoraDestination(settings({}, { keyPath: other })).deliver(runScope(), folder).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^The Islandora server .* refused the key .*other_key: add its public key/);
    await nothingSent();
  });

  it('shows drush failures with drush’s own message', async () => {
    const err = await new IslandoraDestination(settings({ webroot: '/nonexistent/drupal' })).deliver(runScope(), folder).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'drush islandora_datastream_crud_fetch_pids failed on the Islandora server (exit 1): Command islandora_datastream_crud_fetch_pids needs a higher bootstrap level to run - you will need to invoke drush from a more functional Drupal environment to run this command. [error]',
    );
    await nothingSent();
  });

  it('check() reports drush and tesseract versions, and an unreachable server', async () => {
    const ok = await new IslandoraDestination(settings()).check();
    expect(ok.ok).toBe(true);
    expect(ok.detail).toMatch(/^islandora: drush on .*: Drush Version : 7\.4\.0; tesseract 5\./);
    const bad = await new IslandoraDestination(settings({ tesseractCommand: '/nonexistent/tesseract' }, { port: await closedPort() })).check();
    expect(bad.ok).toBe(false);
    expect(bad.detail).toMatch(/was refused.*; tesseract \(\/nonexistent\/tesseract\): .*not installed or not on PATH/);
  });

  describe('a malformed staging tree is refused as islandora_book_batch refuses it', () => {
    let ssh: SshTarget;
    let drush: Drush;
    let tmp: string;
    beforeAll(async () => {
      ssh = new SshTarget(settings().ssh);
      drush = new Drush(ssh, 'drush', sshd.webroot);
      // A collection to put the books in.
      const coll = join(work, 'malformed', 'collections', 'caltech+HBF');
      await mkdir(coll, { recursive: true });
      await writeFile(join(coll, 'MODS.xml'), '<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>HBF</title></titleInfo></mods>');
      tmp = (await ssh.run(['mktemp', '-d'], { policy: policies.remoteLookup })).stdout.trim();
      await ssh.rsync(join(work, 'malformed', 'collections'), tmp, { policy: policies.transfer });
      const set = await drush.batchWithDerivsPreprocess({ contentModel: 'islandora:collectionCModel', namespace: 'caltech', parent: 'islandora:root', scanTarget: `${tmp}/collections` });
      expect(await drush.ingest(set)).toEqual({ ingested: ['caltech:HBF'], failed: [] });
    });

    async function tryBook(name: string, build: (book: string) => Promise<void>): Promise<string> {
      const books = join(work, 'malformed', name, 'books');
      const book = join(books, 'HBF+HBF_001_09');
      await mkdir(book, { recursive: true });
      await writeFile(join(book, 'MODS.xml'), '<mods xmlns="http://www.loc.gov/mods/v3"/>');
      await build(book);
      await ssh.run(['rm', '-rf', `${tmp}/books`], { policy: policies.remoteLookup });
      await ssh.rsync(book, `${tmp}/books`, { policy: policies.transfer });
      const err = await drush.bookBatchPreprocess({ parent: 'caltech:HBF', scanTarget: `${tmp}/books` }).catch((e: unknown) => e);
      expect(await drush.objectExists('HBF:HBF_001_09')).toBe(false);
      return (err as Error).message;
    }

    async function page(dir: string, files: string[]): Promise<void> {
      await mkdir(dir, { recursive: true });
      for (const f of files) {
        if (f.endsWith('.xml')) await writeFile(join(dir, f), '<mods xmlns="http://www.loc.gov/mods/v3"/>');
        else await copyFile(folder.images[0].sourcePath, join(dir, f));
      }
    }

    it('a page folder that is not numeric', async () => {
      const msg = await tryBook('nonnumeric', async (b) => {
        await page(join(b, '0001'), ['OBJ.tif', 'MODS.xml']);
        await page(join(b, 'page2'), ['OBJ.tif', 'MODS.xml']);
      });
      expect(msg).toMatch(/^drush islandora_book_batch_preprocess failed on the Islandora server \(exit 255\): .*Bad Batch\. Page numbers must be numeric\. "HBF\+HBF_001_09\/page2" is not numeric\./);
    });

    it('a page without OBJ', async () => {
      const msg = await tryBook('noobj', (b) => page(join(b, '0001'), ['JPG.jpg', 'MODS.xml']));
      expect(msg).toMatch(/Bad Batch\. Page HBF\+HBF_001_09\/0001 has no OBJ file\./);
    });

    it('a page without a metadata file', async () => {
      const msg = await tryBook('nomods', (b) => page(join(b, '0001'), ['OBJ.tif']));
      expect(msg).toMatch(/Page HBF\+HBF_001_09\/0001 has no metadata file \(MODS\.xml, DC\.xml or --METADATA--\.xml\)\./);
    });

    it('MODS that is not well-formed XML', async () => {
      const msg = await tryBook('badxml', async (b) => {
        await page(join(b, '0001'), ['OBJ.tif']);
        await writeFile(join(b, '0001', 'MODS.xml'), '<mods><title>Tom & Jerry</title></mods>');
      });
      expect(msg).toMatch(/Failed to parse .*0001\/MODS\.xml/);
    });

    it('a book PID that breaks the PID rules', async () => {
      const books = join(work, 'malformed', 'badpid', 'books', 'H_BF+HBF_001_09');
      await page(join(books, '0001'), ['OBJ.tif', 'MODS.xml']);
      await ssh.run(['rm', '-rf', `${tmp}/books`], { policy: policies.remoteLookup });
      await ssh.rsync(books, `${tmp}/books`, { policy: policies.transfer });
      const err = await drush.bookBatchPreprocess({ parent: 'caltech:HBF', scanTarget: `${tmp}/books` }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/H_BF:HBF_001_09 is not a valid PID\./);
    });
  });
});
