/** One measured comparison: ours against one peer, in one unit. */
export interface Measure {
  /** `<package>/<measure>`, e.g. `cli/run-overhead`. */
  id: string;
  ours: number;
  peer: { name: string; value: number };
  unit: string;
  /**
   * The target for the ratio ours ÷ peer, e.g. `<=2.5` or `>=1`; or, written
   * `ours<=50`, a bound on `ours` itself in `unit` (an absolute target such as
   * a latency budget; the ratio is still printed beside it).
   */
  target: string;
  /** Extra figures for the table. */
  notes?: string;
}

/** A benchmark module: measures one package beside its peers. */
export type Bench = (options: { quick: boolean; workDir: string }) => Promise<Measure[]>;

/**
 * Whether a ratio meets a target written as `<=x`, `<x`, `>=x` or `>x`; a
 * target written `ours<=x` (or `ours<x`, …) bounds `ours` instead.
 */
export function meets(ratio: number, target: string, ours?: number): boolean {
  const absolute = /^ours\s*(.*)$/.exec(target.trim());
  if (absolute) return ours !== undefined && meets(ours, absolute[1]!);
  const match = /^(<=|>=|<|>)\s*([\d.]+)$/.exec(target.trim());
  if (!match) return false;
  const bound = Number(match[2]);
  switch (match[1]) {
    case '<=':
      return ratio <= bound;
    case '<':
      return ratio < bound;
    case '>=':
      return ratio >= bound;
    default:
      return ratio > bound;
  }
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Rounds for display: 3 significant digits. */
export function round(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(Math.min(digits, 6)));
}

/** The `BENCH …` line of DESIGN.md's benchmark format. */
export function formatLine(measure: Measure): string {
  const ratio = measure.ours / measure.peer.value;
  const verdict = meets(ratio, measure.target, measure.ours) ? 'PASS' : 'MISS';
  return `BENCH ${measure.id} ours=${round(measure.ours)} peer=${measure.peer.name}:${round(measure.peer.value)} ratio=${round(ratio)} target=${measure.target} unit=${measure.unit} ${verdict}`;
}
