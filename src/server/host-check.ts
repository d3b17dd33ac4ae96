/**
 * The Host check (docs/reference/http.md#host-check), against DNS rebinding: a web page on
 * attacker.example re-points its name at 127.0.0.1, and the visitor's browser then sends the page's
 * requests to the loopback server — as same-origin requests, with `Host: attacker.example`. A
 * server that listens on loopback trusts its callers (it opens local files for pipelines by
 * default), so it answers only requests whose `Host` is one of its loopback names on its own port
 * — `localhost`, `127.x.x.x`, `[::1]` — or a name of the allow-list, and whose `Origin`, when a
 * browser sends one, is such a host too (a page of another local site is refused as well). The
 * check runs first (`onRequest`), so a refused request never reaches a route, its body is never
 * read, and no file is opened for it.
 *
 * On a server listening beyond loopback the check is off unless the allow-list is given: its
 * clients reach it by names and addresses this process cannot know.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { HttpError } from "./errors.js";

/** A host as `Host` and allow-list entries write it: a name or address, and its port when given. */
export interface HostName {
  /** Lower case; an IPv6 address keeps its brackets. */
  name: string;
  port: number | null;
}

const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?)(?::(\d{1,5}))?$/i;

export function parseHost(text: string): HostName | null {
  const match = HOST.exec(text.trim());
  if (!match) return null;
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && port > 65535) return null;
  return { name: match[1].toLowerCase(), port };
}

/** An `--allowed-hosts` entry: `name` (any port) or `name:port`; throws RangeError saying what is wrong. */
export function parseAllowedHost(entry: string): HostName {
  const host = parseHost(entry);
  if (!host)
    throw new RangeError(`"${entry}" is not a host name (write it as name or name:port, without a scheme or path, e.g. cam.example or cam.example:8080)`);
  return host;
}

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `localhost`, `127.x.x.x`, `::1` (bracketed or not): the names and addresses of loopback. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (name === "localhost" || name === "::1" || name === "[::1]") return true;
  const octets = IPV4_LOOPBACK.exec(name);
  return octets !== null && octets.slice(1).every((octet) => Number(octet) <= 255);
}

/** What a request is checked against. */
export interface HostPolicy {
  /** The port the request came in on: a loopback name must name it. */
  port: number | undefined;
  allowed: readonly HostName[];
}

function accepts(policy: HostPolicy, host: HostName, defaultPort: number): boolean {
  const port = host.port ?? defaultPort;
  if (isLoopbackHost(host.name)) return port === policy.port;
  return policy.allowed.some((entry) => entry.name === host.name && (entry.port === null || entry.port === port));
}

/** `Origin`'s host: `http://name:port` → name and port (the scheme's default when absent); null for `null` and anything else. */
function originHost(origin: string): { host: HostName; defaultPort: number } | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  const bare = url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" && !origin.endsWith("/");
  if (!bare || (url.protocol !== "http:" && url.protocol !== "https:")) return null;
  const host = parseHost(url.host);
  return host && { host, defaultPort: url.protocol === "https:" ? 443 : 80 };
}

/** Why the request is refused, or null. Pure: the headers and the policy decide. */
export function hostRefusal(headers: { host?: string; origin?: string }, policy: HostPolicy): string | null {
  const served = describeServed(policy);
  const host = headers.host === undefined ? null : parseHost(headers.host);
  if (!host || !accepts(policy, host, 80)) {
    const what = headers.host === undefined ? "The request has no Host header" : `Host "${headers.host}" is not a name of this server`;
    return (
      `${what}: it answers only requests for ${served}, so that a web page cannot reach it through a DNS name pointed at this machine (DNS rebinding). ` +
      `To serve this name, start it with --allowed-hosts ${host?.name ?? "<name>"} (ServerOptions.allowedHosts).`
    );
  }
  if (headers.origin === undefined) return null;
  const origin = originHost(headers.origin);
  if (origin && accepts(policy, origin.host, origin.defaultPort)) return null;
  return (
    `Origin "${headers.origin}" is not a site of this server: it answers only pages served from ${served}, so that a web page of another site cannot use it. ` +
    `To allow pages served under another name, start it with --allowed-hosts <name> (ServerOptions.allowedHosts).`
  );
}

function describeServed(policy: HostPolicy): string {
  const loopback = `localhost, 127.0.0.1 or [::1] on port ${policy.port ?? "?"}`;
  const allowed = policy.allowed.map((entry) => (entry.port === null ? entry.name : `${entry.name}:${entry.port}`));
  return allowed.length === 0 ? loopback : `${loopback}, or ${allowed.join(", ")}`;
}

function hostNotAllowed(message: string): HttpError {
  return new HttpError(403, "HostNotAllowedError", message, { context: "request_admission" });
}

/**
 * Checks every request, before anything else, when the server listens on loopback addresses only
 * (decided per request from where it listens, so an app that is only `inject`ed is not checked) or
 * when `allowed` names hosts.
 */
export function installHostCheck(app: FastifyInstance, allowed: readonly HostName[]): void {
  const checked = () => allowed.length > 0 || listensOnLoopbackOnly(app);
  app.addHook("onRequest", async (request: FastifyRequest) => {
    if (!checked()) return;
    const refusal = hostRefusal({ host: request.headers.host, origin: request.headers.origin }, { port: request.socket.localPort, allowed });
    if (refusal !== null) throw hostNotAllowed(refusal);
  });
}

function listensOnLoopbackOnly(app: FastifyInstance): boolean {
  const addresses = app.addresses();
  // A string is a pipe or socket path: not loopback.
  return addresses.length > 0 && addresses.every((address) => typeof address !== "string" && isLoopbackHost(address.address));
}
