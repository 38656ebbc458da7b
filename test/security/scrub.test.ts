/** scrub() on the error texts the SDKs really produce: every secret goes, every ordinary word stays. */
import { describe, expect, it } from 'vitest';
import { REDACTED, SCRUB_RULES, scrub } from '../../src/scrub.js';

const AK = 'LTAI5tQ3xYzA9bCdEfGh1234';
const STS_AK = 'STS.NTkL3mXq9pZ2cR8vW4yB';
const TOKEN =
  'CAIS0AJ1q6Ft5B2yfSjIr5bkEvPWrO9v0JaCQ0jSjm8xTNtbhvTHqTz2IHhMenRtCOwftPk/mGFX5/cZlqN5RplOWU3Da+B364xK7Q75z2kHCdaj/wnhiqR6G+ozDgyMyKkePfWz3yYkXqGaJRmMP3HiHcqOzFC8IAEYC+Ph6kj5Bi7HWHVFlnOp+2h1DZhB';
const SECRET = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY';
const SIGNATURE = 'Xb0ecb1qpXMZg%2Bc3Z1pDRl5Dgnk%3D';

/** Every secret value a test string may carry; none may survive scrub. */
const SECRETS = [AK, STS_AK, TOKEN, SECRET, 'Xb0ecb1qpXMZg', 'thk_Zk3p0c9QmW1xR7aL2vB8nY4sT6uE', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'hunter2-password'];

/** ECS's SignatureDoesNotMatch Message, as ECS answers it over POST with STS credentials (the shape real gateways produce). */
const ecsStringToSign = (ak: string, token: string | null) =>
  `POST&%2F&AccessKeyId%3D${ak}%26Action%3DDescribeTaskAttribute%26Format%3DJSON%26RegionId%3Dcn-hangzhou` +
  (token ? `%26SecurityToken%3D${encodeURIComponent(token).replace(/%/g, '%25')}` : '') +
  `%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D217f3bb4-f3e6-4479-9bac-2bfa68122c54%26SignatureVersion%3D1.0%26TaskId%3Dt-bp1aaaaaaaaaaaaaaaaa%26Timestamp%3D2026-11-27T02%253A00%253A00Z%26Version%3D2014-05-26`;
const ECS_SIGNATURE_MESSAGE = `Specified signature is not matched with our calculation. server string to sign is:${ecsStringToSign(STS_AK, TOKEN)}`;

/** pop-core's own message over GET: ECS's Message, then `, URL: ` and the whole signed URL. */
const POP_CORE_URL = `https://ecs.cn-hangzhou.aliyuncs.com/?AccessKeyId=${AK}&Action=DescribeTasks&Format=JSON&RegionId=cn-hangzhou&SecurityToken=${encodeURIComponent(TOKEN)}&Signature=${SIGNATURE}&SignatureMethod=HMAC-SHA1&SignatureNonce=6a2f&SignatureVersion=1.0&Timestamp=2026-11-27T02%3A00%3A00Z&Version=2014-05-26`;

interface Shape {
  name: string;
  text: string;
  /** Substrings that must still be there afterwards: the parts an operator needs. */
  keeps: string[];
}

const SHAPES: Shape[] = [
  {
    name: 'ECS SignatureDoesNotMatch Message (STS credentials)',
    text: ECS_SIGNATURE_MESSAGE,
    keeps: ['Specified signature is not matched with our calculation. server string to sign is:[redacted]'],
  },
  {
    name: 'ECS SignatureDoesNotMatch Message (RAM user key)',
    text: `Specified signature is not matched with our calculation. server string to sign is:${ecsStringToSign(AK, null)}`,
    keeps: ['server string to sign is:[redacted]'],
  },
  {
    name: 'ECS error body as JSON, SignatureDoesNotMatch',
    text: JSON.stringify({
      Recommend: 'https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&product=Ecs',
      Message: ECS_SIGNATURE_MESSAGE,
      RequestId: '1DD9FD9A-8E57-43E5-B911-E4F5AD2027F7',
      HostId: 'ecs.aliyuncs.com',
      Code: 'SignatureDoesNotMatch',
    }),
    keeps: ['"Code":"SignatureDoesNotMatch"', '1DD9FD9A-8E57-43E5-B911-E4F5AD2027F7', 'https://api.aliyun.com/troubleshoot?[redacted]'],
  },
  {
    name: "pop-core's error message (Message, then the signed GET URL)",
    text: `Specified signature is not matched with our calculation. server string to sign is:${ecsStringToSign(AK, TOKEN)}, URL: ${POP_CORE_URL}`,
    keeps: ['server string to sign is:[redacted]', ', URL: https://ecs.cn-hangzhou.aliyuncs.com/?[redacted]'],
  },
  {
    name: "pop-core's message for a throttled call",
    text: `Request was denied due to user flow control., URL: ${POP_CORE_URL}`,
    keeps: ['Request was denied due to user flow control., URL: https://ecs.cn-hangzhou.aliyuncs.com/?[redacted]'],
  },
  {
    name: 'ECS InvalidSecurityToken.Expired quoting the token',
    text: `Specified SecurityToken is expired. SecurityToken: ${TOKEN}`,
    keeps: ['Specified SecurityToken is expired. SecurityToken: [redacted]'],
  },
  {
    name: 'ECS InvalidAccessKeyId.NotFound quoting the key',
    text: `Specified access key is not found. AccessKeyId=${AK}`,
    keeps: ['Specified access key is not found. AccessKeyId=[redacted]'],
  },
  {
    name: 'an SDK debug line with a plain-text StringToSign',
    text: `signature check failed; StringToSign: ${ecsStringToSign(STS_AK, TOKEN)} (client side)`,
    keeps: ['signature check failed; StringToSign: [redacted] (client side)'],
  },
  {
    name: 'Tablestore SDK error with its signed headers dumped',
    text: `OTSAuthFailed: The security token is missing or invalid. headers: {"x-ots-accesskeyid":"${STS_AK}","x-ots-ststoken":"${TOKEN}","x-ots-signature":"kYjHq3+4Fz2aUu0Jb0pW/0xQm9c=","x-ots-instancename":"taskhook"}`,
    keeps: ['OTSAuthFailed: The security token is missing or invalid.', '"x-ots-instancename":"taskhook"', '"x-ots-ststoken":"[redacted]"'],
  },
  {
    name: 'OSS-style XML SignatureDoesNotMatch',
    text: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message><OSSAccessKeyId>${AK}</OSSAccessKeyId><SignatureProvided>kYjHq3+4Fz2aUu0Jb0pW/0xQm9c=</SignatureProvided><StringToSign>GET\n\n\nWed, 27 Nov 2026 02:00:00 GMT\nx-oss-security-token:${TOKEN}\n/bucket/key</StringToSign><StringToSignBytes>47 45 54 0a</StringToSignBytes></Error>`,
    keeps: ['<Code>SignatureDoesNotMatch</Code>', '<StringToSign>[redacted]</StringToSign>', '<OSSAccessKeyId>[redacted]</OSSAccessKeyId>'],
  },
  {
    name: 'JSON "StringToSign" field with spaces and escapes',
    text: JSON.stringify({
      code: 'SignatureDoesNotMatch',
      StringToSign: `POST\n/\nx-acs-security-token:${TOKEN}\nx-acs-date: 2026-11-27`,
      AccessKeySecret: SECRET,
    }),
    keeps: ['"code":"SignatureDoesNotMatch"', '"StringToSign":"[redacted]"', '"AccessKeySecret":"[redacted]"'],
  },
  {
    name: "fc2's invoke error (FC error body quoting the key)",
    text: `POST /2023-03-30/functions/taskhook-poller/invocations failed with 403. requestid: 1-6746f1c2-0b7e9d2f4a1c, message: the AccessKeyId ${AK} is not found or disabled.`,
    keeps: [
      'POST /2023-03-30/functions/taskhook-poller/invocations failed with 403. requestid: 1-6746f1c2-0b7e9d2f4a1c, message: the AccessKeyId [redacted] is not found or disabled.',
    ],
  },
  {
    name: 'FC error body JSON with a security token',
    text: JSON.stringify({ ErrorCode: 'InvalidSecurityToken', ErrorMessage: `The security token ${TOKEN} is invalid` }),
    keeps: ['"ErrorCode":"InvalidSecurityToken"', 'The security token [redacted] is invalid'],
  },
  {
    name: 'an Authorization header in a request dump',
    text: 'POST /v1/tasks headers: {"authorization":"Bearer thk_Zk3p0c9QmW1xR7aL2vB8nY4sT6uE","content-type":"application/json"}',
    keeps: ['"authorization":"Bearer [redacted]"', '"content-type":"application/json"'],
  },
  {
    name: 'an FC answer quoting the Authorization header it got',
    text: 'InvalidSignature: the Authorization header FC LTAIexample000001:Xb0ecb1qpXMZgKq3fN8vR2tY7uW9zA1c= does not match',
    keeps: ['the Authorization header FC [redacted] does not match'],
  },
  {
    name: 'a webhook secret in a config error',
    text: 'TASKHOOK_WEBHOOKS: entry 0 secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw is reused',
    keeps: ['TASKHOOK_WEBHOOKS: entry 0 secret whsec_[redacted] is reused'],
  },
  {
    name: 'a webhook URL with userinfo and a token query',
    text: 'POST https://admin:hunter2-password@hooks.example.com/taskhook?token=hunter2-password failed: ECONNREFUSED',
    keeps: ['POST https://[redacted]@hooks.example.com/taskhook?[redacted] failed: ECONNREFUSED'],
  },
  {
    name: 'an access key id quoted bare',
    text: `credentials for ${AK} and ${STS_AK} were rejected`,
    keeps: ['credentials for [redacted] and [redacted] were rejected'],
  },
];

describe('scrub on real error shapes', () => {
  it.each(SHAPES.map((s) => [s.name, s] as const))('%s', (_name, shape) => {
    const out = scrub(shape.text);
    for (const secret of SECRETS) expect(out).not.toContain(secret);
    for (const kept of shape.keeps) expect(out).toContain(kept);
    expect(out).toContain(REDACTED);
    // Scrubbing is idempotent: a scrubbed line scrubbed again (a logged EcsError message) stays the same.
    expect(scrub(out)).toBe(out);
  });
});

/** Text with no secret in it, from the same SDKs and from taskhook itself: it must come back byte for byte. */
const ORDINARY = [
  // The Tablestore SDK's OTSAuthFailed message: the raw protobuf error body, then its request id.
  '\n\rOTSAuthFailed\u0012\u0013Signature mismatch. requestId:0005f3e1-9a7c-4b2e-b1d4-0a6f2c9e7d11',
  '\n\rOTSAuthFailed\u0012(The security token is missing or invalid. requestId:0005f3e1-9a7c-4b2e-b1d4-0a6f2c9e7d12',
  'Specified signature is not matched with our calculation.',
  'The specified "TaskId" is not found.',
  'Request was denied due to user flow control.',
  'Specified SecurityToken mismatch with the AccessKey.',
  'Specified access key is not found.',
  'The request processing has failed due to some unknown error.',
  'ECS InvalidAccessKeyId.NotFound: Specified access key is not found. (request 1DD9FD9A-8E57-43E5-B911-E4F5AD2027F7)',
  'ECS InvalidSecurityToken.Expired: Specified SecurityToken is expired.',
  'ECS answered SignatureDoesNotMatch',
  'could not reach ECS (ECONNREFUSED)',
  'ECS did not answer within 10000 ms',
  'Tablestore getRow on taskhook_tasks failed: OTSAuthFailed (request 0005f3e1-9a7c-4b2e-b1d4-0a6f2c9e7d11); check the access key, its permissions on the instance, and the instance name',
  'Tablestore needs credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or give the function a role',
  'send Authorization: Bearer <token> with a token from TASKHOOK_API_TOKENS',
  'entry 0 needs a "secret" of the form whsec_<base64 of 24–64 random bytes>',
  `'[{"url":"https://example.com/hook","secret":"whsec_…","events":["ecs.task.succeeded"]}]'`,
  'delivery to https://hooks.example.com/taskhook answered 503',
  'SignatureMethod=HMAC-SHA1 SignatureVersion=1.0 SignatureNonce=6a2f',
  'ecs.task.succeeded  t-bp1aaaaaaaaaaaaaaaaa  ExportImage  cn-hangzhou  took 6m 0s  signature verified',
  'MYOSSPRE_m-23f8tcp_t-23ym6mv.vhd in bucket ecs-image-exports',
  'The specified OSS object does not exist.',
  'STS.',
  'https://ecs.cn-hangzhou.aliyuncs.com/',
  'CAIS is the prefix of an STS token',
  '{"RequestId":"E2A0B6B4-3C1A-4D2B-9F5E-7A8C6D4E2F10","TotalCount":1,"PageNumber":1,"PageSize":100,"RegionId":"cn-hangzhou","TaskSet":{"Task":[{"TaskId":"t-bp1aaaaaaaaaaaaaaaaa","TaskAction":"ExportImage","TaskStatus":"Finished","SupportCancel":"true","CreationTime":"2026-11-27T02:00Z","FinishedTime":"2026-11-27T02:06Z"}]}}',
];

describe('scrub leaves ordinary text alone', () => {
  it.each(ORDINARY)('%s', (text) => {
    expect(scrub(text)).toBe(text);
  });
});

describe('the rule table', () => {
  it('gives every rule a one-line reason and a global pattern', () => {
    for (const rule of SCRUB_RULES) {
      expect(rule.why.length).toBeGreaterThan(10);
      expect(rule.why).not.toContain('\n');
      expect(rule.pattern.flags).toContain('g');
    }
  });

  it('has each rule fire on some real shape above', () => {
    const everything = SHAPES.map((s) => s.text);
    for (const rule of SCRUB_RULES) {
      const fires = everything.some((text) => new RegExp(rule.pattern.source, rule.pattern.flags).test(text));
      expect(fires, rule.why).toBe(true);
    }
  });
});
