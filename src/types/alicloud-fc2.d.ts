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
  class FCClient {
    constructor(accountId: string, options: FCClientOptions);
  }
  export = FCClient;
}
