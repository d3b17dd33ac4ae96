/**
 * Saved workflows over real HTTP (`src/server/workflow-store.ts`, upstream's `/build/api` shapes):
 * saved, listed, read, renamed and deleted; kept in the data folder across a restart; ids checked.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createServer, type SightlineServer } from "../../src/server/index.js";

const scratch = mkdtempSync(join(tmpdir(), "sightline-saved-"));
const servers: SightlineServer[] = [];

async function start(dataDir?: string): Promise<{ base: string; server: SightlineServer }> {
  const server = createServer({ dataDir });
  servers.push(server);
  return { base: await server.app.listen({ host: "127.0.0.1", port: 0 }), server };
}

const send = (url: string, method: string, body?: unknown) =>
  fetch(url, { method, ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }) });

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  rmSync(scratch, { recursive: true, force: true });
});

describe("saved workflows", () => {
  it("saves, lists, reads, renames and deletes, answering as upstream's /build/api", async () => {
    const { base } = await start();
    const created = await send(`${base}/build/api/hen-house`, "POST", { id: "hen-house", stuff: 123 });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ message: "Workflow 'hen-house' created/updated successfully." });
    const read = (await (await fetch(`${base}/build/api/hen-house`)).json()) as { data: { config: unknown; createTime: number; updateTime: number } };
    expect(read.data.config).toEqual({ id: "hen-house", stuff: 123 });
    expect(read.data.updateTime).toBeGreaterThanOrEqual(read.data.createTime);

    // PUT too; a body naming another id renames it.
    expect((await send(`${base}/build/api/coop`, "PUT", { id: "hen-house", stuff: 4 })).status).toBe(201);
    const list = (await (await fetch(`${base}/build/api`)).json()) as { data: Record<string, { config: unknown; createTime: { _seconds: number } }> };
    expect(Object.keys(list.data)).toEqual(["coop"]);
    expect(list.data.coop.config).toEqual({ id: "coop", stuff: 4 });
    expect(typeof list.data.coop.createTime._seconds).toBe("number");

    expect((await send(`${base}/build/api/coop`, "DELETE")).status).toBe(200);
    const missing = await fetch(`${base}/build/api/coop`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error_type: string }).error_type).toBe("NotFoundError");
    expect((await send(`${base}/build/api/coop`, "DELETE")).status).toBe(404);
  });

  it("refuses ids upstream refuses and bodies that are not objects", async () => {
    const { base } = await start();
    for (const id of ["has%20space", "dots.json", "semi%3Bcolon"]) {
      const answer = await send(`${base}/build/api/${id}`, "PUT", { a: 1 });
      expect(answer.status, id).toBe(400);
      expect(((await answer.json()) as { error_type: string }).error_type).toBe("BadRequestError");
    }
    expect((await send(`${base}/build/api/ok`, "PUT", [1, 2])).status).toBe(400);
  });

  it("keeps them in the data folder across a restart", async () => {
    const dataDir = join(scratch, "data");
    const first = await start(dataDir);
    await send(`${first.base}/build/api/kept`, "PUT", { id: "kept", specification: { version: "1.0" } });
    await first.server.close();
    const second = await start(dataDir);
    const read = (await (await fetch(`${second.base}/build/api/kept`)).json()) as { data: { config: unknown } };
    expect(read.data.config).toEqual({ id: "kept", specification: { version: "1.0" } });
  });
});
