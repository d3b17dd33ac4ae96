/**
 * The log of `sightline worker`: JSON lines on standard output in the shape `serve`'s log has
 * (pino's: `{"level": 30, "time": …, "pid": …, "hostname": …, "msg": …, …fields}`), so that one
 * log pipeline reads both.
 */
import { hostname } from "node:os";
import type { ServiceLog } from "../service/types.js";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const LEVEL_NUMBERS: Readonly<Record<LogLevel, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export function jsonLinesLog(level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(line)): ServiceLog {
  const threshold = LEVEL_NUMBERS[level];
  const host = hostname();
  const line = (at: number) => (fields: object, message: string) => {
    if (at < threshold) return;
    write(`${JSON.stringify({ level: at, time: Date.now(), pid: process.pid, hostname: host, ...fields, msg: message })}\n`);
  };
  return { info: line(LEVEL_NUMBERS.info), warn: line(LEVEL_NUMBERS.warn), error: line(LEVEL_NUMBERS.error) };
}
