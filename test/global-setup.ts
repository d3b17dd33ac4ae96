/** The CLI tests run the built CLI; build it once if `npm test` did not already. */
import { execFileSync } from "node:child_process";
import { existsSync, statSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const root = resolve(import.meta.dirname, "..");
  const cli = join(root, "dist/cli/main.js");
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestSource(join(root, "src"))) return;
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
}
