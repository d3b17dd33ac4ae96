/**
 * What sinks may reach (docs/reference/blocks.md#sink-policy): the hosts webhooks and SMTP
 * servers may be on, the folders files may be written under, and whether sinks run at all
 * (upstream's `disable_sinks` execution policy). `sightline run` and the library allow
 * everything; `serve` and `worker` allow no outbound host and one sink folder unless their
 * flags say otherwise. A refusal is a message for the block's outputs, naming the flag to set.
 */
import { isAbsolute, join, relative, resolve } from "node:path";
import { z } from "zod";

/** Every host, or every folder. */
export const ANYWHERE = "*";

export interface SinkPolicy {
  /** Upstream's `disable_sinks`: every sink answers "disabled" and sends nothing. */
  readonly disabled: boolean;
  /** Host names (`name` or `name:port`) sinks may connect to, or `"*"`. */
  readonly allowedHosts: readonly string[] | typeof ANYWHERE;
  /** Folders files may be written under (absolute), or `"*"`; relative targets resolve against the first. */
  readonly sinkDirectories: readonly string[] | typeof ANYWHERE;
  /** Extra trusted CA certificates (PEM) for TLS connections (an SMTP server with a private CA). */
  readonly ca?: readonly string[];
}

export const OPEN_SINK_POLICY: SinkPolicy = { disabled: false, allowedHosts: ANYWHERE, sinkDirectories: ANYWHERE };

const policySettingsSchema = z.strictObject({
  disabled: z.boolean().default(false),
  allowedHosts: z.union([z.literal(ANYWHERE), z.array(z.string())]).default(ANYWHERE),
  sinkDirectories: z.union([z.literal(ANYWHERE), z.array(z.string())]).default(ANYWHERE),
  ca: z.array(z.string()).optional(),
});

/** The policy carried in `Services.settings.sinks`; absent: everything allowed. */
export function sinkPolicyFrom(settings: Readonly<Record<string, unknown>>): SinkPolicy {
  if (settings.sinks === undefined) return OPEN_SINK_POLICY;
  const parsed = policySettingsSchema.parse(settings.sinks);
  return {
    ...parsed,
    sinkDirectories: parsed.sinkDirectories === ANYWHERE ? ANYWHERE : parsed.sinkDirectories.map((directory) => resolve(directory)),
  };
}

/** Lower-cased host and the port it is reached on (a URL's default port when none is written). */
export interface Destination {
  readonly host: string;
  readonly port: number;
}

function hostOf(entry: string): { host: string; port: number | null } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry.trim().toLowerCase());
  if (!match) return { host: entry.trim().toLowerCase(), port: null };
  return { host: match[1].replace(/^\[|\]$/g, ""), port: match[2] === undefined ? null : Number(match[2]) };
}

/** Why `destination` may not be reached (the message for the block's outputs), or null when it may. */
export function hostRefusal(policy: SinkPolicy, destination: Destination, flag = "--allow-sink-hosts"): string | null {
  if (policy.allowedHosts === ANYWHERE) return null;
  const host = destination.host.toLowerCase().replace(/^\[|\]$/g, "");
  const allowed = policy.allowedHosts.some((entry) => {
    const rule = hostOf(entry);
    return rule.host === host && (rule.port === null || rule.port === destination.port);
  });
  if (allowed) return null;
  const written = destination.host.includes(":") ? `[${host}]` : host;
  return `Sink may not connect to host ${written}:${destination.port}: it is not among the allowed sink hosts (${describeList(policy.allowedHosts)}); allow it with ${flag} ${written}`;
}

/** The folder `serve` lets sinks write under by default: `<dataDir>/sinks`; none without a data folder. */
export function sinkDirectoriesUnder(dataDir: string | undefined): string[] {
  return dataDir === undefined ? [] : [join(dataDir, "sinks")];
}

/** `target` made absolute: relative to the first sink folder when the policy restricts folders, else to the working folder. */
export function resolveSinkPath(policy: SinkPolicy, target: string): string {
  const base = policy.sinkDirectories === ANYWHERE || policy.sinkDirectories.length === 0 ? process.cwd() : policy.sinkDirectories[0];
  return resolve(base, target);
}

function isWithin(path: string, directory: string): boolean {
  const rest = relative(directory, path);
  return rest === "" || (!rest.startsWith("..") && !isAbsolute(rest));
}

/** Why a file may not be written at `path` (absolute), or null when it may. */
export function pathRefusal(policy: SinkPolicy, path: string, flag = "--sink-dir"): string | null {
  if (policy.sinkDirectories === ANYWHERE) return null;
  if (policy.sinkDirectories.some((directory) => isWithin(path, directory))) return null;
  return `Sink may not write ${path}: it is outside the sink directories (${describeList(policy.sinkDirectories)}); allow a directory with ${flag} DIR`;
}

function describeList(entries: readonly string[]): string {
  return entries.length === 0 ? "none" : entries.join(", ");
}
