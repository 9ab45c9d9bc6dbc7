/**
 * Group commit on the client for {@link PostgresStore}: operations the store
 * is asked for while its connections are busy, or in the same turn of the
 * event loop, go to the server together as one `coordination_batch`
 * statement (`postgres-batch-function.ts`): one round trip and one commit for
 * all of them, where each alone would cost its own. A lone operation goes
 * alone, as its own prepared statement, with no wait beyond that turn. The
 * idea is the one of PostgreSQL's own group commit (`commit_delay`) and of
 * DataLoader's batching, with no timer: the batch is whatever is waiting.
 *
 * @module
 */
import type { OperationRow, ServerOperation } from './postgres-operations.js';

/** One operation and its arguments, as its prepared statement binds them. */
export interface OperationCall {
  operation: ServerOperation;
  values: unknown[];
}

/** What an {@link OperationBatcher} sends with. */
export interface BatcherTransport {
  /** Runs one operation: its prepared statement. Rejects with the driver's error. */
  single(call: OperationCall): Promise<OperationRow>;
  /** Runs several in one `coordination_batch` statement; one row per call, in their order. Rejects with the driver's error. */
  batch(calls: OperationCall[]): Promise<OperationRow[]>;
}

/** Options of an {@link OperationBatcher}. */
export interface BatcherOptions {
  /** Statements in flight at most (the pool's connections); further calls wait and go together. */
  maxInFlight: number;
  /** Operations in one batch at most. */
  maxBatch: number;
}

interface Pending extends OperationCall {
  resolve(row: OperationRow): void;
  reject(error: unknown): void;
}

/**
 * True for an error the server reported for the statement (a `pg`
 * `DatabaseError`, which carries a `severity`): the statement's transaction
 * was rolled back, so nothing of the batch was written and each operation
 * can be asked for again on its own. Any other error (the connection lost
 * mid-statement) leaves it unknown whether the batch committed, as it would
 * for one operation, and goes to each caller as it is.
 */
function reportedByServer(error: unknown): boolean {
  return typeof (error as { severity?: unknown } | null)?.severity === 'string';
}

/** `function … does not exist`: a database below migration 4, without `coordination_batch`. */
function noBatchFunction(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '42883';
}

/**
 * The target key every operation's first argument is: a batch runs in key
 * order (operations on one target in the order they were asked for), so two
 * batches lock the rows they share in the same order and never deadlock.
 */
function byTarget(a: OperationCall, b: OperationCall): number {
  const left = String(a.values[0]);
  const right = String(b.values[0]);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Queues a store's operations and sends them alone or in batches (see the
 * module's summary). Results and errors reach each caller exactly as they
 * would for an operation sent alone; a batch the server refuses is undone as
 * a whole by PostgreSQL and its operations are then sent one by one, in
 * order, so one bad operation costs the others nothing but time. Against a
 * database without `coordination_batch` (schema version 3) the batcher sends
 * every operation alone from then on.
 *
 * @internal
 */
export class OperationBatcher {
  private readonly transport: BatcherTransport;
  private readonly options: BatcherOptions;
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private batching = true;

  /**
   * @param transport - how one operation and a batch are sent.
   * @param options - statements in flight and operations per batch, at most.
   */
  constructor(transport: BatcherTransport, options: BatcherOptions) {
    this.transport = transport;
    this.options = options;
  }

  /**
   * Runs one operation, alone or in a batch with the others waiting.
   *
   * @param call - the operation and its arguments.
   * @returns the row its function returned.
   * @throws the driver's error, as {@link BatcherTransport.single} would.
   */
  call(call: OperationCall): Promise<OperationRow> {
    return new Promise<OperationRow>((resolve, reject) => {
      this.queue.push({ ...call, resolve, reject });
      this.schedule();
    });
  }

  /** Flushes at the end of this turn of the event loop, once the callers of this turn have queued. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const size = this.batching ? this.options.maxBatch : 1;
      const taken = this.queue.splice(0, size);
      this.inFlight++;
      void this.send(taken).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
      });
    }
  }

  private async send(taken: Pending[]): Promise<void> {
    // flush takes one at a time once batching is off, so only a batch is longer.
    if (taken.length === 1) return this.alone(taken[0]!);
    // Array.prototype.sort is stable: one target's operations keep their order.
    const ordered = [...taken].sort(byTarget);
    let rows: OperationRow[];
    try {
      rows = await this.transport.batch(ordered);
    } catch (error) {
      if (!reportedByServer(error)) {
        for (const pending of ordered) pending.reject(error);
        return;
      }
      if (noBatchFunction(error)) this.batching = false;
      for (const pending of ordered) await this.alone(pending);
      return;
    }
    for (const [index, pending] of ordered.entries()) {
      const row = rows[index];
      if (row) pending.resolve(row);
      else pending.reject(new Error(`coordination_batch returned no row for operation ${index}`));
    }
  }

  private async alone(pending: Pending): Promise<void> {
    try {
      pending.resolve(await this.transport.single(pending));
    } catch (error) {
      pending.reject(error);
    }
  }
}
