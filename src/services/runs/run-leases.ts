/**
 * Run ownership across instances. This instance records its id on the runs
 * it executes and renews a heartbeat on them; a sweep on any instance ends
 * as INTERRUPTED (from what is stored) the active runs whose owner's
 * heartbeat is older than the lease. `claim` takes a run over with a
 * conditional update, so only one instance can continue it.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { Run } from '../../entities/index.js';
import { ACTIVE_STATUSES_SQL } from './run-ending.js';
import type { StoredEndings } from './stored-ending.js';

export interface RunLeasesOptions {
  dataSource: DataSource;
  endings: StoredEndings;
  /** How long an owner's heartbeat holds its runs (RUN_LEASE_MS). */
  leaseMs: number;
  log: Logger;
  /** No run executes here: the heartbeat has nothing to renew. */
  idle: () => boolean;
}

export const INTERRUPTED = { code: 'INTERRUPTED', message: 'The server stopped while the run was active.' } as const;

/** An active run whose owner is not this instance and whose lease has expired ($1 this instance, $2 the lease in ms). */
const STALE = `status IN ${ACTIVE_STATUSES_SQL}
  AND (owner_instance IS DISTINCT FROM $1)
  AND (heartbeat_at IS NULL OR heartbeat_at < clock_timestamp() - make_interval(secs => $2::double precision / 1000))`;

export class RunLeases {
  readonly instanceId = randomUUID();
  private heartbeatTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;

  constructor(private readonly options: RunLeasesOptions) {}

  /** Sweeps once now, then starts the heartbeat and the periodic sweep. */
  async start(): Promise<void> {
    await this.sweep();
    const { leaseMs } = this.options;
    const beat = Math.max(100, Math.min(5_000, Math.floor(leaseMs / 3)));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), beat);
    this.sweepTimer = setInterval(() => void this.sweep(), Math.max(beat, Math.floor(leaseMs / 2)));
  }

  stop(): void {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
  }

  /**
   * Ends INTERRUPTED the active runs (or only `runId`) whose owner stopped
   * renewing its lease: their partial answer is rebuilt from the stored
   * events, and the INTERRUPTED ErrorStep takes the next seq after the last
   * stored one. Returns how many it ended.
   */
  async sweep(runId?: string): Promise<number> {
    let swept = 0;
    try {
      const stale: { id: string }[] = await this.options.dataSource.query(
        `SELECT id FROM runs WHERE ${STALE}${runId ? ' AND id = $3' : ''}`,
        [this.instanceId, this.options.leaseMs, ...(runId ? [runId] : [])],
      );
      for (const { id } of stale) if (await this.options.endings.end(id, INTERRUPTED)) swept++;
    } catch (error) {
      this.options.log.warn({ err: error }, 'sweep failed');
    }
    return swept;
  }

  /**
   * Takes over an active run whose owner's lease has expired: this instance
   * becomes its owner. Returns the run's row, or undefined when another
   * instance holds it (or it has ended). The entry point for continuing a
   * run from what is stored.
   */
  async claim(runId: string): Promise<Run | undefined> {
    const [rows]: [Record<string, unknown>[], number] = await this.options.dataSource.query(
      `UPDATE runs SET owner_instance = $1, heartbeat_at = clock_timestamp() WHERE id = $3 AND ${STALE} RETURNING id`,
      [this.instanceId, this.options.leaseMs, runId],
    );
    if (rows.length === 0) return undefined;
    return (await this.options.dataSource.manager.findOneBy(Run, { id: runId })) ?? undefined;
  }

  private async heartbeat(): Promise<void> {
    if (this.options.idle()) return;
    try {
      await this.options.dataSource.query(
        `UPDATE runs SET heartbeat_at = clock_timestamp() WHERE owner_instance = $1 AND status IN ${ACTIVE_STATUSES_SQL}`,
        [this.instanceId],
      );
    } catch (error) {
      this.options.log.warn({ err: error }, 'heartbeat failed');
    }
  }
}
