// The parts of @alicloud/fc2 (which ships no types) that taskhook uses.
declare module '@alicloud/fc2' {
  interface FCClientOptions {
    accessKeyID: string;
    accessKeySecret: string;
    securityToken?: string;
    region: string;
    secure?: boolean;
    timeout?: number;
    endpoint?: string;
  }
  interface FCResponse {
    headers: Record<string, string | undefined>;
    data: unknown;
  }
  class FCClient {
    constructor(accountId: string, options: FCClientOptions);
    /** The API version in every path: fc2 defaults to FC 2.0's 2016-08-15; FC 3.0 is 2023-03-30. */
    version: string;
    /** A signed POST to `/<version><path>`; rejects on a non-2xx answer with FC's ErrorCode as `code`. */
    post(path: string, body: string, headers?: Record<string, string>, queries?: Record<string, string>): Promise<FCResponse>;
  }
  export = FCClient;
}
