/**
 * Builds the worker from settings: the ArchivesSpace client, the image tools, the OCFL staging
 * root and the destination module chosen for each process. The only place that maps settings to
 * the typed options of each feature.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ArchivesSpaceClient } from './archivesspace/client.js';
import { iiifDestinationFromSettings } from './destinations/iiif/index.js';
import type { ArchivesSpace } from './archivesspace/types.js';
import type { WorkerEnv } from './alchemist/worker.js';
import type { Destination, DestinationProcess } from './destinations/destination.js';
import { IslandoraDestination } from './destinations/islandora/index.js';
import { S3Destination } from './destinations/s3/index.js';
import { restoreInventoriesFromS3 } from './destinations/s3/restoreInventory.js';
import { TapeDestination } from './destinations/tape/index.js';
import { restoreInventoriesFromTape } from './destinations/tape/restoreInventory.js';
import { PermanentError } from './policies.js';
import type { Reporter } from './runs/reporter.js';
import { NetworkDestination } from './destinations/network/index.js';
import { auditNetworkCopies } from './destinations/network/audit.js';
import { DistillProcessor, type DistillDeps } from './distill/processor.js';
import { imsFrom, ObjectIdentity, removeLocalPayload, stableObjectId } from './ocfl/index.js';
import { encoderFromSettings, ImageIdRegistry, metadataWriterFromSettings } from './images/index.js';
import type { Logger } from './log.js';
import { buildReport } from './report/report.js';
import { renderReportText } from './report/render.js';
import type { AuditDeps } from './audit/run.js';
import { StatusFolder, thisWorker } from './runs/statusFolder.js';
import { scheduleIntervalMs } from './alchemist/schedule.js';
import type { Settings } from './settings/index.js';

/** The local OCFL storage root inside LOSSLESS_PRESERVATION_FILES. */
export function storageRootOf(settings: Settings): string {
  return join(settings.folders.preservation, 'ocfl');
}

export function archivesSpaceFrom(settings: Settings): ArchivesSpaceClient {
  return new ArchivesSpaceClient(settings.aspace);
}

/** A record's stable object id (without looking for an older URL-based object it may continue). */
export function objectIdFor(settings: Settings, archivalObjectUri: string): string {
  return stableObjectId(settings.ocfl.idNamespace, archivalObjectUri);
}

/**
 * The OCFL object ids of folders: OCFL_ID_NAMESPACE + the archival object's repository-relative
 * URI (no host, port or scheme in it), continuing objects written under older URL-based ids.
 */
export function objectIdentityFor(settings: Settings): Promise<ObjectIdentity> {
  return ObjectIdentity.open(storageRootOf(settings), settings.ocfl.idNamespace);
}

export function destinationFor(settings: Settings, process: DestinationProcess): Destination | string {
  const storageRoot = storageRootOf(settings);
  switch (process) {
    case 'cloud':
      if (!settings.modules.cloud || !settings.s3) return 'CLOUD_PLATFORM is not set in settings.ini: set CLOUD_PLATFORM=s3 and the AWS keys, or do not choose the cloud process.';
      return new S3Destination({ ...settings.s3, storageRoot });
    case 'onsite':
      if (!settings.modules.onsite || !settings.tape) return 'ONSITE_MEDIUM is not set in settings.ini: set ONSITE_MEDIUM=tape and the TAPE_ keys, or do not choose the onsite process.';
      return new TapeDestination({ ...settings.tape, storageRoot });
    case 'access':
      if (settings.modules.access === 'iiif' && settings.iiif) return iiifDestinationFromSettings(settings.iiif, settings.images.opjDecompressCmd);
      if (!settings.modules.access || !settings.islandora) return 'ACCESS_PLATFORM is not set in settings.ini: set ACCESS_PLATFORM=iiif or islandora and its keys, or do not choose the access process.';
      return new IslandoraDestination({ ...settings.islandora, exiftoolCommand: settings.images.exiftoolCmd });
  }
}

export function buildWorkerEnv(settings: Settings, log: Logger): WorkerEnv {
  return {
    status: new StatusFolder(settings.folders.statusFiles),
    folders: settings.folders,
    processor: new DistillProcessor(distillDepsFor(settings)),
    log,
    staleClaimMs: Math.round(settings.alchemist.staleClaimMinutes * 60_000),
    identity: thisWorker(settings.alchemist.workerName),
    schedule: settings.alchemist.schedule,
    passEveryMs: scheduleIntervalMs(settings.alchemist.schedule),
    runLogRetentionDays: settings.alchemist.runLogRetentionDays,
  };
}

/** What the distill core of a worker is made of, from settings. */
export function distillDepsFor(settings: Settings): DistillDeps {
  return {
    aspace: () => archivesSpaceFrom(settings),
    destination: (p) => destinationFor(settings, p),
    preservationDir: settings.folders.preservation,
    junkFiles: settings.folders.junkFiles,
    tools: async (collectionId) => {
      const identity = await objectIdentityFor(settings);
      const metadata = metadataWriterFromSettings(settings.images);
      return {
        encoder: encoderFromSettings(settings.images),
        metadata,
        ids: await ImageIdRegistry.open(join(settings.folders.preservation, collectionId, 'image-ids.json')),
        concurrency: settings.images.concurrency,
        opjDecompress: settings.images.opjDecompressCmd,
        // Images at once share the cores; each decode may use what is left to it.
        decodeThreads: Math.max(1, Math.floor(availableParallelism() / settings.images.concurrency)),
        storageRoot: storageRootOf(settings),
        objectId: (uri) => identity.resolve(uri),
        ims: imsFrom(settings.ocfl, storageRootOf(settings)),
        restoreObject: restoreObjectFor(settings),
        close: () => metadata.end(),
      };
    },
    network: networkFor(settings),
    releasePayload: settings.ocfl.keepLocalPayload
      ? undefined
      : {
          processes: (['cloud', 'onsite'] as const).filter((p) => settings.modules[p]),
          release: (pkg) => removeLocalPayload(pkg.storageRoot, pkg.objectId),
        },
    report: async ({ collectionId, collectionPath, aspace, processes, regenerate }) => {
      const report = await buildReport({ collectionId, collectionPath, aspace: aspace as ArchivesSpace & ArchivesSpaceClient, processes, regenerate });
      return { text: renderReportText(report), data: report, problems: report.problems.length };
    },
  };
}

/**
 * How the worker puts an object back when the local storage root does not hold it: its
 * inventories and token stores from the S3 copy, else (not configured, not there, unreachable or
 * damaged) from the tape catalogue's copy — never payload. Undefined when neither is configured.
 */
export function restoreObjectFor(settings: Settings): ((objectId: string, reporter: Reporter) => Promise<boolean>) | undefined {
  const storageRoot = storageRootOf(settings);
  const s3 = settings.modules.cloud && settings.s3 ? settings.s3 : undefined;
  const cataloguePath = settings.modules.onsite && settings.tape ? settings.tape.cataloguePath : undefined;
  if (!s3 && !cataloguePath) return undefined;
  return async (objectId, reporter) => {
    let failed: Error | undefined;
    if (s3) {
      try {
        if (await restoreInventoriesFromS3(new S3Destination({ ...s3, storageRoot }), storageRoot, objectId, { reporter })) return true;
      } catch (err) {
        if (!cataloguePath) throw err;
        failed = err as Error;
        reporter.line(`⚠️ ${objectId}: the S3 copy could not be used (${failed.message}); trying the tape catalogue's copy.`);
      }
    }
    if (cataloguePath) {
      try {
        if (await restoreInventoriesFromTape(cataloguePath, storageRoot, objectId, { reporter })) return true;
      } catch (err) {
        throw failed ? new PermanentError(`${failed.message} And from tape: ${(err as Error).message}`, { cause: err }) : err;
      }
    }
    if (failed) throw failed;
    return false;
  };
}

/** What `distillery audit` and the audit schedule use: the local root, and the S3 and tape copies when configured. */
export function auditDepsFrom(settings: Settings, log: Logger): AuditDeps {
  const storageRoot = storageRootOf(settings);
  const s3 = settings.modules.cloud && settings.s3 ? destinationFor(settings, 'cloud') : undefined;
  const tape = settings.modules.onsite && settings.tape ? destinationFor(settings, 'onsite') : undefined;
  const network = networkFor(settings);
  return {
    storageRoot,
    statusDir: settings.folders.statusFiles,
    ims: imsFrom(settings.ocfl, storageRoot),
    settings: settings.audit,
    log,
    s3: s3 instanceof S3Destination ? s3 : undefined,
    tape: tape instanceof TapeDestination ? tape : undefined,
    network: network ? (collectionId, objectIds) => auditNetworkCopies(network.client, settings.folders.statusFiles, collectionId, objectIds) : undefined,
  };
}

/** The preservation network destination when NETWORK_INGEST_URL is set. */
export function networkFor(settings: Settings): NetworkDestination | undefined {
  return settings.network ? new NetworkDestination({ ...settings.network, statusDir: settings.folders.statusFiles }) : undefined;
}
