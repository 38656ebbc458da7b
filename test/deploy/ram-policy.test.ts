/** The functions' RAM policy in the README and docs/deploy.md: exactly the actions the deployed code calls, on resources written as the services document them. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = process.cwd();
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Statement {
  Effect: string;
  Action: string[];
  Resource: string | string[];
}
interface Policy {
  Version: string;
  Statement: Statement[];
}

/** The text between `<!-- name:start -->` and `<!-- name:end -->`. */
function section(markdown: string, name: string): string {
  const start = markdown.indexOf(`<!-- ${name}:start -->`);
  const end = markdown.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < start) throw new Error(`no <!-- ${name}:start --> … <!-- ${name}:end --> section`);
  return markdown.slice(start, end);
}

/** The first ```json block of a markdown text, parsed. */
function jsonBlock(markdown: string): Policy {
  const block = /```json\n([\s\S]*?)\n\s*```/.exec(markdown);
  if (!block) throw new Error('no ```json block');
  return JSON.parse(block[1]) as Policy;
}

const readmeDeploy = section(read('README.md'), 'deploy');
const readmePolicy = jsonBlock(readmeDeploy);
const docsPolicy = jsonBlock(section(read('docs/deploy.md'), 'policy'));
const actions = (policy: Policy, prefix: string) => policy.Statement.flatMap((s) => s.Action.filter((a) => a.startsWith(prefix))).sort();
const resourceOf = (policy: Policy, action: string) => policy.Statement.find((s) => s.Action.includes(action))?.Resource;

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(path.join(root, file)).isDirectory() ? sourceFiles(file) : file.endsWith('.ts') ? [file] : [];
  });
}

/** The Tablestore operations that only `taskhook tables init` performs, run with administrator keys. */
const TABLES_INIT_ONLY = ['CreateTable', 'ListTable'];

describe("the functions' RAM policy", () => {
  it('is the same policy in the README and in docs/deploy.md', () => {
    expect(readmePolicy).toEqual(docsPolicy);
    expect(readmePolicy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('grants exactly the Tablestore operations the store calls, less the ones only `tables init` makes', () => {
    const called = [...read('src/store/tablestore/client.ts').matchAll(/this\.call\(\s*'(\w+)'/g)].map((m) => m[1]);
    expect(called).toEqual(expect.arrayContaining(TABLES_INIT_ONLY));
    const expected = [...new Set(called)].filter((op) => !TABLES_INIT_ONLY.includes(op)).map((op) => `ots:${op}`);
    expect(actions(readmePolicy, 'ots:')).toEqual(expected.sort());
  });

  it('is right to leave ListTable and CreateTable out: only `tables init` reaches them', () => {
    const reaching = [...sourceFiles('src'), ...sourceFiles('functions')].filter((file) => /\bcreateTables\(|\.listTables\(|\.createTable\(/.test(read(file)));
    expect(reaching.sort()).toEqual(['src/local/commands/tables.ts', 'src/store/tablestore/client.ts', 'src/store/tablestore/schema.ts']);
  });

  it('grants exactly the ECS operations the ECS client makes (the task calls and the resources’ describe calls), on all resources', () => {
    const called = [...read('src/ecs/pop-client.ts').matchAll(/sequence\('(\w+)'/g)].map((m) => `ecs:${m[1]}`);
    expect(actions(readmePolicy, 'ecs:')).toEqual([...new Set(called)].sort());
    expect(resourceOf(readmePolicy, 'ecs:DescribeTasks')).toBe('*');
    expect(called).toEqual(expect.arrayContaining(['ecs:DescribeImages', 'ecs:DescribeDisks', 'ecs:DescribeInstances', 'ecs:DescribeSnapshots']));
    expect(resourceOf(readmePolicy, 'ecs:DescribeImages')).toBe('*');
  });

  it('scopes Tablestore to the prefixed tables of one lower-case instance, never a prefix of instance names', () => {
    const resource = resourceOf(readmePolicy, 'ots:GetRow');
    expect(resource).toBe('acs:ots:<region>:<account-id>:instance/<instance-name-in-lower-case>/table/taskhook_*');
    expect(readmeDeploy).not.toMatch(/instance\/<instance>\*/);
  });

  it('scopes fc:InvokeFunction to the poller by its exact name, and says when to fall back to "*"', () => {
    expect(actions(readmePolicy, 'fc:')).toEqual(['fc:InvokeFunction']);
    expect(resourceOf(readmePolicy, 'fc:InvokeFunction')).toBe('acs:fc:<region>:<account-id>:functions/taskhook-poller');
    expect(readmeDeploy).toContain('`"Resource": "*"`');
    expect(readmeDeploy).toContain('All Resource');
  });

  it('grants nothing else: no Log Service write (FC 3.0 ships logs with its service-linked role) and no table metadata', () => {
    const all = readmePolicy.Statement.flatMap((s) => s.Action);
    expect(all.filter((a) => !/^(ecs|ots|fc):/.test(a))).toEqual([]);
    expect(all).not.toContain('ots:DescribeTable');
    expect(readmeDeploy).toContain('AliyunServiceRoleForFC');
  });

  it('tells the deployer that the Serverless Devs access must carry the AccountID s.yaml reads', () => {
    expect(read('s.yaml')).toContain("${config('AccountID')}");
    expect(readmeDeploy).toMatch(/s config add[^\n]*AccountID/);
    expect(readmeDeploy).toContain('[docs/deploy.md](docs/deploy.md)');
  });
});
