/**
 * The deployment files (deploy/, the Dockerfile) cannot run here — no Docker, no Kubernetes — so
 * they are checked as what they are: YAML that parses to the services and objects deploy/README.md
 * describes, whose `sightline` commands and flags the built CLI has. A flag renamed in the CLI
 * fails here rather than in someone's cluster.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { parseRedisUrl } from "../../src/service/redis.js";
import { cliHelp } from "../helpers/cli.js";

const ROOT = resolve(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** Commands whose flags are checked against `sightline <command> --help`. */
const CHECKED = ["serve"];
/**
 * Commands the deployment files use that the CLI does not have yet (another change adds
 * `sightline worker`). When it lands, the test below fails: move the command to CHECKED.
 */
const AWAITING = ["worker"];

interface Invocation {
  where: string;
  args: string[];
}

type Yaml = Record<string, unknown>;

const compose = parse(read("deploy/docker-compose.yml")) as { services: Record<string, Yaml>; volumes: Yaml };

const kubernetes = readdirSync(join(ROOT, "deploy/kubernetes"))
  .filter((name) => name.endsWith(".yaml"))
  .flatMap((name) =>
    parseAllDocuments(read(`deploy/kubernetes/${name}`)).map((document) => {
      expect(document.errors, `deploy/kubernetes/${name}`).toEqual([]);
      return { file: name, object: document.toJS() as Yaml & { kind: string; metadata: { name: string }; spec: Yaml } };
    }),
  );

interface Container {
  name: string;
  image: string;
  args?: string[];
}

function containers(object: { spec: Yaml }): Container[] {
  const template = object.spec.template as { spec: { containers: Container[] } } | undefined;
  return template?.spec.containers ?? [];
}

/** Every `sightline …` command line the files hold: the image's ENTRYPOINT is the CLI, so these are its arguments. */
function invocations(): Invocation[] {
  const found: Invocation[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    if (String(service.image).startsWith("sightline")) found.push({ where: `docker-compose.yml: ${name}`, args: service.command as string[] });
  }
  for (const { file, object } of kubernetes) {
    for (const container of containers(object)) {
      if (container.image.startsWith("sightline")) found.push({ where: `kubernetes/${file}: ${container.name}`, args: container.args ?? [] });
    }
  }
  const cmd = /^CMD (\[.*\])$/m.exec(read("Dockerfile"));
  found.push({ where: "Dockerfile CMD", args: JSON.parse(cmd?.[1] ?? "[]") as string[] });
  return found;
}

describe("deploy/docker-compose.yml", () => {
  it("has Redis, one serve on Redis and several worker replicas, serve and workers sharing the models volume", () => {
    const { redis, serve, worker } = compose.services;
    expect(String(redis.image)).toMatch(/^redis:/);
    expect(redis.command).toEqual(expect.arrayContaining(["--appendonly", "yes"]));
    expect(serve.command).toEqual(expect.arrayContaining(["serve", "--redis", "redis://redis:6379"]));
    expect(worker.command).toEqual(["worker", "--redis", "redis://redis:6379", "--max-pipelines", "4"]);
    expect((worker.deploy as { replicas: number }).replicas).toBeGreaterThan(1);
    for (const service of [serve, worker]) expect(service.volumes).toContain("models:/models");
    expect(Object.keys(compose.volumes)).toContain("models");
  });
});

describe("deploy/kubernetes", () => {
  const named = (kind: string, name: string) => kubernetes.find(({ object }) => object.kind === kind && object.metadata.name === name)?.object;

  it("has Redis (Deployment and Service), serve (Deployment and Service) and a worker Deployment", () => {
    expect(named("Deployment", "redis")).toBeDefined();
    expect(named("Service", "redis")).toMatchObject({ spec: { ports: [{ port: 6379 }] } });
    expect(named("Deployment", "sightline-serve")).toBeDefined();
    expect(named("Service", "sightline")).toMatchObject({ spec: { selector: { "app.kubernetes.io/name": "sightline-serve" }, ports: [{ port: 9001 }] } });
    expect(containers(named("Deployment", "sightline-worker")!)[0].args).toEqual(["worker", "--redis", "redis://redis:6379", "--max-pipelines", "4"]);
  });

  it("selects each Deployment's pods by labels its pod template has", () => {
    for (const { object } of kubernetes.filter(({ object }) => object.kind === "Deployment")) {
      const { selector, template } = object.spec as { selector: { matchLabels: Yaml }; template: { metadata: { labels: Yaml } } };
      expect(template.metadata.labels, object.metadata.name).toMatchObject(selector.matchLabels);
    }
  });
});

describe("the sightline commands of the deployment files", () => {
  const all = invocations();

  it("are commands the deployment files are checked for", () => {
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.filter(({ args }) => ![...CHECKED, ...AWAITING].includes(args[0])).map(({ where, args }) => `${where}: ${args[0]}`)).toEqual([]);
  });

  it.each(CHECKED)("`sightline %s` exists and has every flag they give it; their Redis URLs parse", (command) => {
    expect(cliHelp([]).commands).toContain(command);
    const known = cliHelp([command]).flags;
    const uses = all.filter(({ args }) => args[0] === command);
    expect(uses.length).toBeGreaterThan(0);
    for (const { where, args } of uses) {
      expect(
        args.filter((arg) => arg.startsWith("--") && !known.includes(arg)),
        where,
      ).toEqual([]);
      const redis = args.indexOf("--redis");
      if (redis >= 0) expect(() => parseRedisUrl(args[redis + 1]), where).not.toThrow();
    }
  });

  it.each(AWAITING)("`sightline %s` is not in the CLI yet (once it is, move it to CHECKED so its flags are checked)", (command) => {
    expect(cliHelp([]).commands).not.toContain(command);
  });
});
