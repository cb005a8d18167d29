// Who may use `cli serve` (ARCHITECTURE.md, "The local server's trust boundary").
//
// Any web page in the person's browser can send requests and open WebSockets to any address,
// and a page whose own name resolves to 127.0.0.1 (DNS rebinding) even counts as same-origin
// with the server. So, on loopback, a request is served only when its Host is exactly a
// loopback name or address with the listening port, and a browser's Origin only when it is that
// same host: a rebinding page's requests carry its own name in Host, another site's its own
// Origin. Listening on any other address, Host cannot be known in advance: every request must
// then show the access token printed at start, as `Authorization: Bearer TOKEN`, `?token=TOKEN`,
// or the cookie the server sets when the browser first opens the printed `/?token=` address
// (HttpOnly, so that no script reads it; SameSite=Strict, so that no other site's requests
// carry it).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIPv4 } from 'node:net';

export interface AccessPolicy {
  /** The address the server listens on. */
  host: string;
  /** The port it listens on. */
  port: number;
  /** Required on every request and socket when set; always set when `host` is not loopback. */
  token?: string;
}

export interface Refusal {
  status: 400 | 401 | 403;
  message: string;
}

/** The query parameter that carries the token. */
export const TOKEN_PARAM = 'token';

/** A cookie per port: cookies are shared by every port of a host. */
export const tokenCookieName = (port: number) => `utterly-token-${port}`;

/** The names a loopback server answers to, besides the address it listens on. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

const clip = (text: string) => (text.length > 100 ? `${text.slice(0, 100)}…` : text);

export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || name === '::1' || (isIPv4(name) && name.startsWith('127.'));
}

/** 256 random bits, URL-safe. */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/** How a URL names a host: IPv6 addresses in brackets. */
export const urlHost = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/** A Host header as name and port (undefined when absent); undefined when it is not one. */
function parseHostHeader(header: string): { name: string; port: number | undefined } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i.exec(header);
  if (!match) return undefined;
  return { name: match[1]!.toLowerCase(), port: match[2] === undefined ? undefined : Number(match[2]) };
}

/** Compares in time that does not depend on where the two differ, nor on their lengths. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Every token the request shows (a header, the query, the cookie): any one that is right will do. */
function presentedTokens(request: IncomingMessage, url: URL, port: number): string[] {
  const tokens: string[] = [];
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (bearer) tokens.push(bearer[1]!);
  const query = url.searchParams.get(TOKEN_PARAM);
  if (query) tokens.push(query);
  const cookie = cookieValue(request.headers.cookie, tokenCookieName(port));
  if (cookie) tokens.push(cookie);
  return tokens;
}

/** Whether the request's `?token=` is the right one (the page then gets the cookie). */
export function queryTokenIsValid(url: URL, policy: AccessPolicy): boolean {
  const token = url.searchParams.get(TOKEN_PARAM);
  return policy.token !== undefined && token !== null && sameSecret(token, policy.token);
}

/** Why the request must not be served; undefined when it may be. */
export function checkAccess(request: IncomingMessage, url: URL, policy: AccessPolicy): Refusal | undefined {
  const host = request.headers.host;
  if (!host) return { status: 400, message: 'the request has no Host header' };
  const parsed = parseHostHeader(host);
  if (!parsed) return { status: 400, message: `the Host header "${clip(host)}" is not a host name` };
  if (policy.token === undefined) {
    const names = new Set([...LOOPBACK_NAMES, urlHost(policy.host.toLowerCase())]);
    // A browser leaves out port 80, and only that one.
    const port = parsed.port ?? 80;
    if (!names.has(parsed.name) || port !== policy.port) {
      return { status: 403, message: `Host "${clip(host)}" is not this server: use http://127.0.0.1:${policy.port}` };
    }
  }
  const origin = request.headers.origin;
  if (origin !== undefined) {
    const own = [`http://${host}`, `https://${host}`].map((o) => o.toLowerCase());
    if (!own.includes(origin.toLowerCase()))
      return { status: 403, message: `requests from ${clip(origin)} are not allowed: only this server's own pages may call it` };
  }
  if (policy.token !== undefined && !presentedTokens(request, url, policy.port).some((token) => sameSecret(token, policy.token!))) {
    return {
      status: 401,
      message: 'this server needs its access token: open the address it printed (with ?token=), or send "Authorization: Bearer TOKEN"',
    };
  }
  return undefined;
}

/** The cookie that carries the token for the pages of a browser that opened `/?token=`. */
export function tokenCookie(policy: AccessPolicy): string {
  return `${tokenCookieName(policy.port)}=${policy.token}; Path=/; HttpOnly; SameSite=Strict`;
}
