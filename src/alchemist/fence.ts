/**
 * The fence of a run: before every step that writes outside the worker (an OCFL install, an S3
 * upload, a tape write, an ArchivesSpace write, an Islandora ingest, moving the collection folder)
 * the worker checks that it still holds the run's claim and that nobody cancelled the run. A
 * worker that lost its claim (it was paused past the stale threshold and another worker took the
 * run over) stops there, writes nothing more to the shared status files, and says so in its own
 * log; a cancelled run stops there and ends "cancelled", keeping what was already verified.
 */
import type { Logger } from '../log.js';
import type { CancelRequest, Claim, StatusFolder } from '../runs/statusFolder.js';

/** This worker no longer holds the run: another one took it over. */
export class ClaimLost extends Error {
  override readonly name = 'ClaimLost';
}

/** An archivist cancelled the run from its status page. */
export class RunCancelled extends Error {
  override readonly name = 'RunCancelled';
  constructor(
    readonly cancel: CancelRequest,
    /** The boundary the run stopped before, e.g. "installing the OCFL version of HBF_001_01". */
    readonly before: string,
  ) {
    super(`Cancelled by ${cancel.by.name} at ${cancel.at}; stopped before ${before}.`);
  }
}

/** How long one look at the claim counts for the run's own stream and record writes. */
const HELD_FOR_MS = 200;

export class RunFence {
  private stopped?: ClaimLost | RunCancelled;

  constructor(
    private readonly status: StatusFolder,
    private readonly claim: Claim,
    private readonly controller: AbortController,
    private readonly log: Logger,
  ) {}

  /** Why the run stopped at a boundary, if it did. */
  get reason(): ClaimLost | RunCancelled | undefined {
    return this.stopped;
  }

  get lostClaim(): boolean {
    return this.stopped instanceof ClaimLost;
  }

  /**
   * Call before each step that writes outside the worker: throws ClaimLost or RunCancelled (and
   * aborts the run's signal) when the run must not go on.
   */
  readonly check = async (before: string): Promise<void> => {
    if (this.stopped) throw this.stopped;
    this.heldAt = 0; // a boundary always looks at the shared folder
    if (!(await this.holds(before))) throw this.stopped!;
    const cancel = await this.status.cancelRequest(this.claim.request.collectionId, this.claim.request.runId);
    if (cancel) {
      this.stopped = new RunCancelled(cancel, before);
      this.log.warn({ cancel, before }, 'the run was cancelled; stopping at this boundary');
      this.controller.abort(this.stopped);
      throw this.stopped;
    }
  };

  /** Whether this worker still holds the claim; the first time it does not, says so and aborts the run. */
  readonly holds = async (doing = 'its next write'): Promise<boolean> => {
    if (this.stopped instanceof ClaimLost) return false;
    // Lines come in bursts: one look at the shared folder serves them for a moment. A pause of the
    // process (the case fenced against) outlasts the moment, so the next write looks again.
    if (Date.now() - this.heldAt < HELD_FOR_MS) return true;
    if (await this.status.holds(this.claim)) {
      this.heldAt = Date.now();
      return true;
    }
    this.lose(doing);
    return false;
  };
  private heldAt = 0;

  /** The heartbeat found the claim gone. */
  lose(doing: string): void {
    if (this.stopped instanceof ClaimLost) return;
    const { request } = this.claim;
    this.stopped = new ClaimLost(
      `This worker (${this.claim.worker.host}, process ${this.claim.worker.pid}) no longer holds the run ${request.runId} of ${request.collectionId}: ` +
        `another worker took it over after this one stopped answering. Stopped before ${doing}; nothing more is written by this worker.`,
    );
    this.log.warn({ claim: this.claim.file, before: doing }, this.stopped.message);
    this.controller.abort(this.stopped);
  }
}

/** ArchivesSpace methods that write (create, link, update): each goes through the fence first. */
const WRITES = /^(ensure|upsert|create|update|delete|add|link|save|set)/;

/** The ArchivesSpace client of a run, with every write behind the fence. */
export function fencedArchivesSpace<T extends object>(aspace: T, fence: ((before: string) => Promise<void>) | undefined): T {
  if (!fence) return aspace;
  return new Proxy(aspace, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || typeof value !== 'function' || !WRITES.test(prop)) {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return async (...args: unknown[]) => {
        await fence(`the ArchivesSpace write ${prop}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
