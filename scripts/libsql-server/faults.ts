// Fault injection for the local libSQL server (development and tests only: the server is never
// part of a production deploy, which reaches Turso, and a server started without `faults`
// has no control at all). On command the database becomes:
//   - `slow`: every request waits `delayMs`, then runs;
//   - `pause`: every request waits until the fault changes, then runs under the new one: a
//     paused process, whose clients may have given up while their writes still land later;
//   - `refuse`: the database port is closed (connections refused) and open connections are cut;
//   - `error`: every request answers `status` (default 503) without running.
// `after: n` lets the next n requests through first (a failure in the middle of a batch).
// Only database requests (Hrana and its version probes) are subject to faults; the server's own
// introspection (`/stats`, `/scans`) is not.

export const FAULT_MODES = ['off', 'slow', 'pause', 'refuse', 'error'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface Fault {
  mode: FaultMode;
  /** `slow`: how long each request waits (ms), default 5000. */
  delayMs?: number;
  /** `error`: the HTTP status answered, 500..599, default 503. */
  status?: number;
  /** Requests let through before the fault applies, default 0. */
  after?: number;
}

export interface FaultReport {
  fault: Required<Fault>;
  /** Requests let through by `after` since the fault was set. */
  passed: number;
  /** Requests the fault acted on since it was set (delayed, held, refused or failed). */
  faulted: number;
  /** Requests held by `pause` right now. */
  held: number;
}

/** What the server does with one database request. */
export type Gate = { kind: 'serve' } | { kind: 'error'; status: number } | { kind: 'drop' };

/** Parses a fault as the control endpoint receives it; throws a message for anything else. */
export function parseFault(value: unknown): Required<Fault> {
  if (typeof value !== 'object' || value === null) throw new Error('a fault is a JSON object {"mode", "delayMs"?, "status"?, "after"?}');
  const v = value as Record<string, unknown>;
  if (!FAULT_MODES.includes(v.mode as FaultMode)) throw new Error(`mode: one of ${FAULT_MODES.join(', ')}`);
  const int = (name: string, fallback: number, min: number, max: number) => {
    const n = v[name] ?? fallback;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new Error(`${name}: an integer from ${min} to ${max}`);
    return n;
  };
  return { mode: v.mode as FaultMode, delayMs: int('delayMs', 5000, 0, 600_000), status: int('status', 503, 500, 599), after: int('after', 0, 0, 1_000_000) };
}

const OFF: Required<Fault> = { mode: 'off', delayMs: 5000, status: 503, after: 0 };

export class Faults {
  private fault: Required<Fault> = OFF;
  private left = 0;
  private passed = 0;
  private faulted = 0;
  private waiting: (() => void)[] = [];

  /** `refuse(true)` closes the database port and cuts its connections; `refuse(false)` listens again. */
  constructor(private readonly refuse: (on: boolean) => Promise<void>) {}

  report(): FaultReport {
    return { fault: { ...this.fault }, passed: this.passed, faulted: this.faulted, held: this.waiting.length };
  }

  /** Sets the fault (`{mode: 'off'}` ends it); held requests are released to run under the new one. */
  async set(fault: Fault): Promise<FaultReport> {
    const next = parseFault(fault);
    const wasRefusing = this.fault.mode === 'refuse' && this.left === 0;
    this.fault = next;
    this.left = next.after;
    this.passed = 0;
    this.faulted = 0;
    const refusing = next.mode === 'refuse' && next.after === 0;
    if (refusing !== wasRefusing) await this.refuse(refusing);
    for (const wake of this.waiting.splice(0)) wake();
    return this.report();
  }

  /** Decides the fate of one database request; `pause` holds it until the fault changes. */
  async gate(): Promise<Gate> {
    for (;;) {
      const f = this.fault;
      if (f.mode === 'off') return { kind: 'serve' };
      if (this.left > 0) {
        this.left--;
        this.passed++;
        return { kind: 'serve' };
      }
      this.faulted++;
      switch (f.mode) {
        case 'error':
          return { kind: 'error', status: f.status };
        case 'slow':
          await new Promise((resolve) => setTimeout(resolve, f.delayMs));
          return { kind: 'serve' };
        case 'refuse':
          // `after` ran out: from now on the port is closed; this request's connection is cut.
          await this.refuse(true);
          return { kind: 'drop' };
        case 'pause':
          await new Promise<void>((wake) => this.waiting.push(wake));
          this.faulted--; // counted again, if at all, under the fault that released it
          continue;
      }
    }
  }

  /** Releases every held request (the server is closing). */
  release(): void {
    this.fault = OFF;
    for (const wake of this.waiting.splice(0)) wake();
  }
}
