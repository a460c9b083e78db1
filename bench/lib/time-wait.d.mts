// Types for time-wait.mjs (tests import it; the bench runs it as plain JavaScript).
export declare function ephemeralRange(): [number, number];
export declare function countTimeWait(files?: string[]): { total: number; ephemeral: number; open: number };
export declare function socketsByAddress(file?: string): Map<string, number>;
export interface Wait {
  before: number;
  timeWait: number;
  open: number;
  after: number;
  allow: number;
  waitedMs: number;
  cleared: boolean;
}
export declare function waitTimeWait(opts?: { allow?: number; maxMs?: number; pollMs?: number }): Promise<Wait>;
export declare function describeWait(w: Wait, what: string): string;
