/** The origin a request was made to (scheme, host, port), for the OpenAPI document's `servers`; null when the headers do not say one plainly. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** A host name or IP literal with an optional port: anything else (spaces, paths, quotes) is not trusted into the document. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;

export function requestOrigin(event: APIGatewayProxyEventV2): string | null {
  const host = (event.headers['x-forwarded-host'] ?? event.headers.host ?? event.requestContext.domainName ?? '').split(',')[0].trim();
  if (!HOST.test(host)) return null;
  const forwarded = (event.headers['x-forwarded-proto'] ?? '').split(',')[0].trim().toLowerCase();
  // FC's gateway speaks https; a loopback host is the local server, which speaks http.
  const scheme = forwarded === 'http' || forwarded === 'https' ? forwarded : LOOPBACK.test(host) ? 'http' : 'https';
  return `${scheme}://${host.toLowerCase()}`;
}
