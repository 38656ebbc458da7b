/**
 * The one place secrets are cut out of text that leaves the process: log lines, error messages, HTTP answers.
 * Each rule is data: what it matches, what replaces it, and why it exists. Rules run in order, so the wide ones
 * (a whole string-to-sign, a whole query string) go first and the narrow shapes catch whatever is left.
 */

export const REDACTED = '[redacted]';

export interface ScrubRule {
  why: string;
  pattern: RegExp;
  replacement: string;
}

/** `Name=value`, `Name%3Dvalue` (inside a string-to-sign), `"Name":"value"` and `Name: value` (a header). */
const SEPARATOR = String.raw`(?:=|%3D|["']?\s*:\s*["']?)`;
/** A parameter value ends at the next delimiter, or at `%26`, the encoded `&` of a string-to-sign. */
const VALUE = String.raw`(?:(?!%26)[^\s&"',;<>])+`;
/** Not preceded by a letter, so `InvalidSignature` or `SignatureMethod=` are left alone. */
const named = (names: string) => new RegExp(String.raw`((?<![A-Za-z])(?:${names})${SEPARATOR})${VALUE}`, 'gi');

export const SCRUB_RULES: readonly ScrubRule[] = [
  {
    why: "ECS's SignatureDoesNotMatch message quotes the whole string-to-sign, AccessKeyId and SecurityToken included",
    pattern: /(server string to sign is\s*:?\s*)[^\s,]+/gi,
    replacement: `$1${REDACTED}`,
  },
  {
    why: 'OSS/S3-style XML error bodies quote the string-to-sign, its bytes, the signature and the key id in elements',
    pattern: /<((?:StringToSign|CanonicalRequest|SignatureProvided|\w*AccessKeyId|SecurityToken)\w*)>[^<]*<\/\1>/gi,
    replacement: `<$1>${REDACTED}</$1>`,
  },
  {
    why: 'JSON error bodies quote the string-to-sign as a "StringToSign" string, which may hold spaces and escapes',
    pattern: /("StringToSign\w*"\s*:\s*)"(?:[^"\\]|\\.)*"/gi,
    replacement: `$1"${REDACTED}"`,
  },
  {
    why: 'plain-text forms (StringToSign=..., StringToSign: ...) carry the same signed parameters',
    pattern: /((?<![A-Za-z])StringToSign\w*\s*[:=]\s*)[^\s,"]+/gi,
    replacement: `$1${REDACTED}`,
  },
  {
    why: 'userinfo in a URL is a password',
    pattern: /(\bhttps?:\/\/)[^\s/?#@"'<>]+@/gi,
    replacement: `$1${REDACTED}@`,
  },
  {
    why: 'pop-core appends the signed request URL to its messages; its query holds Signature, AccessKeyId and SecurityToken',
    pattern: /(\bhttps?:\/\/[^\s?#"'<>]*)\?[^\s"'<>]*/gi,
    replacement: `$1?${REDACTED}`,
  },
  {
    why: 'an STS security token is a credential on its own, whatever it is next to',
    pattern: named('SecurityToken|x-acs-security-token|x-ots-ststoken'),
    replacement: `$1${REDACTED}`,
  },
  {
    why: 'a request signature, replayed within its timestamp window, is as good as the request',
    pattern: named('Signature|x-acs-signature|x-ots-signature'),
    replacement: `$1${REDACTED}`,
  },
  {
    why: 'an AccessKeyId names the credential to attack and, with a leaked signature, completes it',
    pattern: named('AccessKeyId|x-ots-accesskeyid'),
    replacement: `$1${REDACTED}`,
  },
  {
    why: 'an AccessKeySecret is the credential itself',
    pattern: named('AccessKeySecret'),
    replacement: `$1${REDACTED}`,
  },
  {
    why: 'STS tokens start with CAIS and run on in base64, wherever they are quoted',
    pattern: /CAIS[A-Za-z0-9+/=_%-]{20,}/g,
    replacement: REDACTED,
  },
  {
    why: 'long-term RAM access key ids start with LTAI, wherever they are quoted',
    pattern: /LTAI[A-Za-z0-9]{8,}/g,
    replacement: REDACTED,
  },
  {
    why: 'STS access key ids start with STS., wherever they are quoted',
    pattern: /(?<![A-Za-z])STS\.[A-Za-z0-9]{8,}/g,
    replacement: REDACTED,
  },
  {
    why: 'an API bearer token opens the whole API; `Bearer <token>` placeholders (no token chars) are left alone',
    pattern: /(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
    replacement: `$1${REDACTED}`,
  },
  {
    why: "Function Compute's `Authorization: FC <AccessKeyId>:<signature>`, should an FC answer quote the header it got",
    pattern: /\bFC\s+[^\s:]+:[A-Za-z0-9+/]{20,}={0,2}/g,
    replacement: `FC ${REDACTED}`,
  },
  {
    why: 'a webhook secret lets anyone sign deliveries; `whsec_…` placeholders are left alone',
    pattern: /(\bwhsec_)[A-Za-z0-9+/=]{8,}/g,
    replacement: `$1${REDACTED}`,
  },
];

/** Text with every secret shape in SCRUB_RULES replaced by `[redacted]`; text without one comes back unchanged. */
export function scrub(text: string): string {
  let out = text;
  for (const rule of SCRUB_RULES) out = out.replace(rule.pattern, rule.replacement);
  return out;
}
