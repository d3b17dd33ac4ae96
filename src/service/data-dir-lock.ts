/**
 * One process per data folder (docs/guides/service.md#the-lock): two servers resuming the same
 * pipelines would run every camera twice and write the same files. The lock is the file `lock`
 * in the folder, holding its owner's process id and host, written whole and linked into place
 * (so it is never seen half-written, and two processes cannot both create it). Its owner touches
 * it every few seconds. It is stale — and taken over — when its process no longer runs on this
 * host (killed), or when nobody has touched it for a minute (an owner on another host or in
 * another container, which this process cannot ask about).
 */
import { link, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { isRunning, writeFailureReason } from "../state/file.js";

export const LOCK_FILE = "lock";
const REFRESH_MS = 10_000;
export const LOCK_STALE_AFTER_MS = 60_000;

/** The data folder cannot be used: another process holds it, or it cannot be created or written. */
export class DataDirError extends Error {
  override name = "DataDirError";
}

interface LockOwner {
  pid: number;
  host: string;
  started_at: string;
}

/** The lock files this process holds: a lock with this process's id is an earlier owner's unless listed here. */
const held = new Set<string>();

export interface DataDirLock {
  /** Stops touching the lock and removes it. */
  release(): Promise<void>;
}

/** Takes the lock of `dir` (which exists), or throws a `DataDirError` naming who holds it and what to do. */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const path = resolve(dir, LOCK_FILE);
  const mine = `${path}.${process.pid}.tmp`;
  const me: LockOwner = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
  try {
    await writeFile(mine, JSON.stringify(me));
    // A stale lock is removed once, then taken; a lock that is back by then is someone else's.
    for (let attempt = 0; ; attempt++) {
      if (await linked(mine, path)) break;
      const found = await readLock(path);
      if (attempt > 0 || held.has(path) || !isStale(found)) throw inUse(dir, path, found?.owner ?? null);
      await rm(path, { force: true });
    }
  } catch (error) {
    if (error instanceof DataDirError) throw error;
    throw new DataDirError(`Cannot lock the data folder ${dir}: ${writeFailureReason(path, error as NodeJS.ErrnoException)}`);
  } finally {
    await rm(mine, { force: true });
  }
  held.add(path);
  const touch = setInterval(() => {
    const now = new Date();
    void utimes(path, now, now).catch(() => undefined);
  }, REFRESH_MS);
  touch.unref();
  return {
    release: async () => {
      clearInterval(touch);
      held.delete(path);
      // Still ours? A lock left untouched too long (a process stalled for a minute) may have been taken over.
      const found = await readLock(path).catch(() => null);
      if (found?.owner?.pid === me.pid && found.owner.started_at === me.started_at) await rm(path, { force: true });
    },
  };
}

/** Creates `path` as a link to `from`; false when `path` exists. */
async function linked(from: string, path: string): Promise<boolean> {
  try {
    await link(from, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** The lock's owner (null when the file says none) and when it was last touched; null when there is no lock any more. */
async function readLock(path: string): Promise<{ owner: LockOwner | null; touchedAt: number } | null> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    return { owner: parseOwner(text), touchedAt: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    return typeof owner.pid === "number" && typeof owner.host === "string" ? (owner as LockOwner) : null;
  } catch {
    return null;
  }
}

function isStale(found: { owner: LockOwner | null; touchedAt: number } | null): boolean {
  if (found === null || found.owner === null || Date.now() - found.touchedAt > LOCK_STALE_AFTER_MS) return true;
  const { owner } = found;
  // This process id's lock, not held, is an earlier owner's (a container's process is often pid 1 every time).
  return owner.host === hostname() && (owner.pid === process.pid || !isRunning(owner.pid));
}

function inUse(dir: string, path: string, owner: LockOwner | null): DataDirError {
  const holder = owner ? `process ${owner.pid} on ${owner.host} (since ${owner.started_at})` : "another process";
  const elsewhere = owner !== null && owner.host !== hostname();
  return new DataDirError(
    `The data folder ${dir} is in use by ${holder}: one server per data folder. ` +
      "Stop that server first, or give this one another folder (--data-dir DIR), or none (--no-data-dir: pipelines in memory only)." +
      (elsewhere ? ` If that process is gone, its lock is taken over once untouched for ${LOCK_STALE_AFTER_MS / 1000} s, or remove ${path}.` : ""),
  );
}
