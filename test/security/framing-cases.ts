/** Malformed, hostile and broken HTTP requests, as data: what is sent on one connection and what may come back. */
import { FIN, RST, type Step } from './raw-http.js';

/** A status the server must answer with (a JSON error body), or `closed`: the connection ends with no answer. */
export type Outcome = number | 'closed';

export interface FramingCase {
  group: string;
  name: string;
  steps: Step[];
  expect: Outcome[];
  /** The JSON error code the answer carries, when only one is right. */
  code?: string;
}

export interface CaseContext {
  token: string;
  maxBodyBytes: number;
  maxHeaderBytes: number;
}

const pause = (pauseMs: number): Step => ({ pauseMs });

export function framingCases({ token, maxBodyBytes, maxHeaderBytes }: CaseContext): FramingCase[] {
  const auth = `Host: local\r\nAuthorization: Bearer ${token}\r\n`;
  const post = (extra: string) => `POST /v1/tasks HTTP/1.1\r\n${auth}${extra}\r\n`;
  const chunked = post('Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n');
  const over = maxBodyBytes + 1;
  const big = 'a'.repeat(maxHeaderBytes + 512);
  const rows: Array<[group: string, name: string, steps: Step[], expect: Outcome[], code?: string]> = [
    // The request line and headers, as llhttp refuses them: a JSON 400 written straight to the socket.
    ['parse', 'unknown method', ['BREW /healthz HTTP/1.1\r\nHost: local\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'lowercase method', ['get /healthz HTTP/1.1\r\nHost: local\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'HTTP/9.9', ['GET /healthz HTTP/9.9\r\nHost: local\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'HTTP/2 preface', ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'TLS ClientHello on plain HTTP', [Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03])], [400], 'BadRequest'],
    ['parse', 'binary garbage', [Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 13, 10, 13, 10])], [400], 'BadRequest'],
    ['parse', 'space in request target', ['GET /a b HTTP/1.1\r\nHost: local\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'NUL in request target', ['GET /he\x00althz HTTP/1.1\r\nHost: local\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'header without colon', ['GET /healthz HTTP/1.1\r\nHost local\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'space in header name', ['GET /healthz HTTP/1.1\r\nHost: local\r\nBad Name: 1\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'separator in header name', ['GET /healthz HTTP/1.1\r\nHost: local\r\nX<A>: 1\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'NUL in header value', ['GET /healthz HTTP/1.1\r\nHost: local\r\nX-A: a\x00b\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'bare LF line ends', ['GET /healthz HTTP/1.1\nHost: local\n\n'], [400], 'BadRequest'],
    ['parse', 'bare CR in headers', ['GET /healthz HTTP/1.1\r\nHost: local\rX-B: 2\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'obs-fold continuation line', ['GET /healthz HTTP/1.1\r\nHost: local\r\nX-A: 1\r\n  2\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'HTTP/1.1 without Host', ['GET /healthz HTTP/1.1\r\n\r\n'], [400], 'MissingHost'],
    [
      'parse',
      'Content-Length and Transfer-Encoding (smuggling)',
      [post('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n') + '0\r\n\r\n'],
      [400],
      'BadRequest',
    ],
    ['parse', 'two different Content-Lengths', [post('Content-Length: 5\r\nContent-Length: 6\r\n') + 'hello!'], [400], 'BadRequest'],
    ['parse', 'Content-Length not a number', [post('Content-Length: abc\r\n')], [400], 'BadRequest'],
    ['parse', 'negative Content-Length', [post('Content-Length: -1\r\n')], [400], 'BadRequest'],
    ['parse', 'signed Content-Length', [post('Content-Length: +5\r\n') + 'hello'], [400], 'BadRequest'],
    ['parse', 'chunked not the last coding', [post('Transfer-Encoding: chunked, gzip\r\n') + '0\r\n\r\n'], [400], 'BadRequest'],
    ['parse', 'CONNECT to another host', ['CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n'], [405], 'MethodNotAllowed'],
    ['parse', 'Expect other than 100-continue', [post('Content-Length: 2\r\nExpect: teapot\r\n') + '{}'], [417], 'ExpectationFailed'],
    ['parse', 'garbage pipelined after a request', ['GET /healthz HTTP/1.1\r\nHost: local\r\n\r\nBREW / HTTP/1.1\r\n\r\n'], [400, 200]],

    // Chunked bodies that are not chunked encoding: the parser fails mid-body.
    ['chunked', 'chunk size not hex', [chunked + 'zz\r\nhello\r\n0\r\n\r\n'], [400], 'BadRequest'],
    ['chunked', 'chunk size overflows', [chunked + 'FFFFFFFFFFFFFFFFFFFF\r\nhello\r\n'], [400], 'BadRequest'],
    ['chunked', 'no CRLF after chunk data', [chunked + '5\r\nhelloXX0\r\n\r\n'], [400], 'BadRequest'],
    ['chunked', 'chunk longer than its size', [chunked + '3\r\nhello\r\n0\r\n\r\n'], [400], 'BadRequest'],
    ['chunked', 'negative chunk size', [chunked + '-5\r\nhello\r\n0\r\n\r\n'], [400], 'BadRequest'],
    ['chunked', 'space inside chunk size', [chunked + '5 5\r\nhello\r\n0\r\n\r\n'], [400], 'BadRequest'],
    ['chunked', 'NUL in chunk extension', [chunked + '5;a\x00b\r\nhello\r\n0\r\n\r\n'], [400], 'BadRequest'],
    ['chunked', 'bare LF chunk framing', [chunked + '5\nhello\n0\n\n'], [400], 'BadRequest'],
    ['chunked', 'trailer line without colon', [chunked + '0\r\nBad Trailer\r\n\r\n'], [400], 'BadRequest'],
    ['chunked', 'truncated chunked body, then FIN', [chunked + '3\r\nabc\r\n', FIN], [400, 'closed']],

    // Clients that go away mid-request: there is no one to answer, the server must just survive.
    ['aborted', 'FIN mid-body', [post('Content-Length: 100\r\n') + '{"re', FIN], [400, 'closed']],
    ['aborted', 'RST mid-body', [post('Content-Length: 100\r\n') + '{"re', pause(30), RST], ['closed']],
    ['aborted', 'RST mid-chunked-body', [chunked + '4\r\n{"re\r\n', pause(30), RST], ['closed']],
    ['aborted', 'RST after the headers', [post('Content-Length: 100\r\n'), pause(30), RST], ['closed']],
    ['aborted', 'RST mid-request-line', ['GET /heal', pause(30), RST], ['closed']],
    ['aborted', 'FIN mid-headers', ['GET /healthz HTTP/1.1\r\nHost: lo', FIN], [400, 'closed']],
    ['aborted', 'RST after 100 Continue', [post('Content-Length: 10\r\nExpect: 100-continue\r\n'), pause(50), RST], ['closed']],

    // Bodies over the limit: declared ones are refused before a byte is read, streamed ones when they cross it.
    ['oversize', 'declared one byte over', [post(`Content-Type: application/json\r\nContent-Length: ${over}\r\n`)], [413], 'PayloadTooLarge'],
    ['oversize', 'declared a petabyte', [post('Content-Length: 1000000000000000\r\n')], [413], 'PayloadTooLarge'],
    ['oversize', 'declared and sent one byte over', [post(`Content-Length: ${over}\r\n`) + 'a'.repeat(over)], [413], 'PayloadTooLarge'],
    ['oversize', 'one chunk over the limit', [chunked + `${over.toString(16)}\r\n${'a'.repeat(over)}\r\n`], [413], 'PayloadTooLarge'],
    ['oversize', 'many small chunks over the limit', [chunked, ...Array.from({ length: 40 }, () => `40\r\n${'a'.repeat(64)}\r\n`)], [413], 'PayloadTooLarge'],
    ['oversize', 'Expect 100-continue over the limit', [post(`Content-Length: ${over}\r\nExpect: 100-continue\r\n`)], [413], 'PayloadTooLarge'],

    // A route that needs a token is refused before its body is read.
    ['auth', 'no Authorization, body never sent', ['POST /v1/tasks HTTP/1.1\r\nHost: local\r\nContent-Length: 100\r\n\r\n'], [401], 'Unauthorized'],
    [
      'auth',
      'wrong token, body never sent',
      ['POST /v1/tasks HTTP/1.1\r\nHost: local\r\nAuthorization: Bearer not-the-token-0000000\r\nContent-Length: 100\r\n\r\n'],
      [401],
      'Unauthorized',
    ],
    [
      'auth',
      'Basic credentials',
      ['POST /v1/tasks HTTP/1.1\r\nHost: local\r\nAuthorization: Basic dXNlcjpwYXNz\r\nContent-Length: 100\r\n\r\n'],
      [401],
      'Unauthorized',
    ],
    ['auth', 'Bearer with no token', ['GET /v1/tasks HTTP/1.1\r\nHost: local\r\nAuthorization: Bearer \r\n\r\n'], [401], 'Unauthorized'],
    ['auth', 'token prefix only', [`GET /v1/tasks HTTP/1.1\r\nHost: local\r\nAuthorization: Bearer ${token.slice(0, -1)}\r\n\r\n`], [401], 'Unauthorized'],
    [
      'auth',
      'unauthenticated streamed chunked body',
      ['POST /v1/tasks HTTP/1.1\r\nHost: local\r\nTransfer-Encoding: chunked\r\n\r\n', `40\r\n${'a'.repeat(64)}\r\n`],
      [401],
      'Unauthorized',
    ],
    ['auth', 'encoded path to a token route', ['GET /%76%31/tasks HTTP/1.1\r\nHost: local\r\n\r\n'], [401], 'Unauthorized'],

    // Request line and headers over maxHeaderBytes.
    ['headers', 'one huge header', [`GET /healthz HTTP/1.1\r\nHost: local\r\nX-Big: ${big}\r\n\r\n`], [431], 'HeadersTooLarge'],
    [
      'headers',
      'many headers',
      [`GET /healthz HTTP/1.1\r\nHost: local\r\n${Array.from({ length: 800 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`],
      [431],
      'HeadersTooLarge',
    ],
    ['headers', 'huge request target', [`GET /healthz?q=${big} HTTP/1.1\r\nHost: local\r\n\r\n`], [431], 'HeadersTooLarge'],
    [
      'headers',
      'huge cookie, in pieces',
      ['GET /healthz HTTP/1.1\r\nHost: local\r\nCookie: ', big.slice(0, 1000), big.slice(1000), '\r\n\r\n'],
      [431],
      'HeadersTooLarge',
    ],

    // Clients too slow for headersTimeout / requestTimeout.
    ['slow', 'connects and sends nothing', [], [408], 'RequestTimeout'],
    ['slow', 'half a request line', ['GET /heal'], [408], 'RequestTimeout'],
    ['slow', 'headers never end', ['GET /healthz HTTP/1.1\r\nHost: local\r\n'], [408], 'RequestTimeout'],
    [
      'slow',
      'headers a byte at a time (slowloris)',
      ['GET /healthz HTTP/1.1\r\n', ...Array.from({ length: 20 }, () => [pause(50), 'X'] as Step[]).flat()],
      [408],
      'RequestTimeout',
    ],
    ['slow', 'body never finishes', [post('Content-Length: 10\r\n') + '{}'], [408], 'RequestTimeout'],
    ['slow', 'chunked body never ends', [chunked + '2\r\n{}\r\n'], [408], 'RequestTimeout'],

    // Paths that do not percent-decode: a JSON 400, never a 500.
    ['path', 'truncated escape in a task id', [`GET /v1/tasks/%E0%A4%A?regionId=cn-hangzhou HTTP/1.1\r\n${auth}\r\n`], [400], 'InvalidPath'],
    ['path', 'lone percent', [`GET /% HTTP/1.1\r\n${auth}\r\n`], [400], 'InvalidPath'],
    ['path', 'non-hex escape', [`GET /v1/%zz HTTP/1.1\r\n${auth}\r\n`], [400], 'InvalidPath'],
    ['path', 'overlong UTF-8 slash', [`GET /v1/tasks/..%C0%AF..%C0%AFetc HTTP/1.1\r\n${auth}\r\n`], [400], 'InvalidPath'],
    ['path', 'UTF-16 surrogate escape', [`GET /v1/tasks/%ED%A0%80 HTTP/1.1\r\n${auth}\r\n`], [400], 'InvalidPath'],
    ['path', 'invalid UTF-8 byte', [`GET /v1/webhooks/%FF HTTP/1.1\r\n${auth}\r\n`], [400], 'InvalidPath'],
    ['path', 'bad escape on a public path, no token', ['GET /healthz%E0 HTTP/1.1\r\nHost: local\r\n\r\n'], [400], 'InvalidPath'],

    // Methods the routes do not take.
    ['method', 'DELETE /healthz', [`DELETE /healthz HTTP/1.1\r\n${auth}\r\n`], [404, 405]],
    ['method', 'POST /healthz', [`POST /healthz HTTP/1.1\r\n${auth}Content-Length: 0\r\n\r\n`], [404, 405]],
    ['method', 'PATCH /openapi.json', [`PATCH /openapi.json HTTP/1.1\r\n${auth}Content-Length: 0\r\n\r\n`], [404, 405]],
    ['method', 'PUT /v1/tasks', [`PUT /v1/tasks HTTP/1.1\r\n${auth}Content-Length: 2\r\n\r\n{}`], [404, 405]],
    ['method', 'OPTIONS /v1/tasks', [`OPTIONS /v1/tasks HTTP/1.1\r\n${auth}\r\n`], [404, 405]],
    ['method', 'TRACE /v1/events', [`TRACE /v1/events HTTP/1.1\r\n${auth}\r\n`], [404, 405]],
    ['method', 'OPTIONS *', [`OPTIONS * HTTP/1.1\r\n${auth}\r\n`], [404, 405]],

    // The one deliberate 500: a handler that throws.
    ['throws', 'handler throws', [`GET /v1/throw HTTP/1.1\r\n${auth}\r\n`], [500], 'InternalError'],
  ];
  return rows.map(([group, name, steps, expect, code]) => ({ group, name, steps, expect, code }));
}
