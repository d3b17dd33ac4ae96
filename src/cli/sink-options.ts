/**
 * The sink flags of `run`, `serve` and `worker` (docs/reference/blocks.md#sink-policy): which hosts
 * sink blocks may connect to, which folders they may write under, and `--disable-sinks`. `run`
 * allows everything unless a flag restricts it; `serve` and `worker` allow no host and only their
 * default sink folder unless the flags allow more.
 */
import { resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { ANYWHERE, type SinkPolicy } from "../blocks/sinks/policy.js";

export interface SinkCliOptions {
  allowSinkHosts?: string[];
  sinkDir?: string[];
  disableSinks: boolean;
}

/** `--allow-sink-hosts a.example,b.example:8443`, repeatable; `*` allows any host. */
function sinkHosts(text: string, previous: string[] = []): string[] {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const entry of entries) {
    if (entry !== ANYWHERE && !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(entry)) {
      throw new InvalidArgumentError(`"${entry}" is not a host name, host:port or *`);
    }
  }
  return [...previous, ...entries];
}

function collectDirectory(text: string, previous: string[] = []): string[] {
  return [...previous, resolve(text)];
}

export function addSinkOptions(command: Command, defaults: { hosts: string; directories: string }): Command {
  return command
    .option(
      "--allow-sink-hosts <hosts>",
      `hosts (name or name:port, comma-separated; * for any) sink blocks may connect to (default: ${defaults.hosts})`,
      sinkHosts,
    )
    .option("--sink-dir <dir>", `a folder sink blocks may write files under; repeatable (default: ${defaults.directories})`, collectDirectory)
    .option("--disable-sinks", "sink blocks send and write nothing (upstream's disable_sinks)", false);
}

/** The policy the flags give, on top of the command's defaults (`run`: everything allowed). */
export function sinkPolicyOf(options: SinkCliOptions, defaults: Pick<SinkPolicy, "allowedHosts" | "sinkDirectories">): SinkPolicy {
  const hosts = options.allowSinkHosts;
  return {
    disabled: options.disableSinks,
    allowedHosts: hosts === undefined ? defaults.allowedHosts : hosts.includes(ANYWHERE) ? ANYWHERE : hosts,
    sinkDirectories: options.sinkDir ?? defaults.sinkDirectories,
  };
}
