/**
 * A server process's memory as Linux reports it (`/proc/<pid>/status`), for the hostile-input
 * tests: what they assert is how far a real `sightline serve` grows, not what the test runner does.
 */
import { readFileSync, writeFileSync } from "node:fs";

export interface ProcessFigures {
  /** Resident set, bytes. */
  rss: number;
  /** Its high-water mark since start or the last `resetHighWater`, bytes. */
  hwm: number;
  threads: number;
}

export function processFigures(pid: number): ProcessFigures {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status);
    if (!match) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return { rss: field("VmRSS") * 1024, hwm: field("VmHWM") * 1024, threads: field("Threads") };
}

/** Starts the high-water mark afresh from the current resident set (Linux's clear_refs "5"). */
export function resetHighWater(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}
