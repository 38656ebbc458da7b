/** The store checks on Tablestore, through the `tablestore` SDK against the wire-level fake: tables listed by name, the probe mark written, read and cleared. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor, type DoctorReport } from '../../src/doctor/index.js';
import { PROBE_MARK } from '../../src/doctor/checks.js';
import { tablestoreProbe } from '../../src/doctor/tablestore-probe.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { startFakeTablestore, type FakeTablestore } from '../../src/fakes/tablestore/index.js';
import { createTablestoreStore } from '../../src/store/tablestore.js';
import { Db } from '../../src/store/tablestore/client.js';
import { TABLE_DEFS } from '../../src/store/tablestore/schema.js';
import { startSimulator } from '../support/helpers.js';
import { doctorDeps } from './harness.js';

const FAST = { baseDelayMs: 5, maxDelayMs: 20, budgetMs: 1_000, maxAttempts: 2 };
const byName = (report: DoctorReport, name: string) => report.checks.find((c) => c.name === name);

describe('taskhook doctor on Tablestore', () => {
  let sim: EcsSimulator;
  let fake: FakeTablestore;

  beforeAll(async () => {
    sim = await startSimulator();
    fake = await startFakeTablestore();
  });
  afterAll(async () => {
    await fake.close();
    await sim.stop();
  });

  /** The tables under `prefix`, all but `leaveOut`. */
  async function createTablesBut(prefix: string, leaveOut: string[]) {
    const db = new Db({ endpoint: fake.endpoint, instance: fake.instanceName, tablePrefix: prefix, credentials: () => fake, retry: FAST });
    for (const [name, def] of Object.entries(TABLE_DEFS)) if (!leaveOut.includes(name)) await db.createTable(db.table(name, [...def.pk]), def.ttl);
    db.close();
  }

  async function doctorOn(prefix: string, credentials = { accessKeyId: fake.accessKeyId, accessKeySecret: fake.accessKeySecret }) {
    const env = {
      TASKHOOK_STORE: 'tablestore',
      TASKHOOK_OTS_ENDPOINT: fake.endpoint,
      TASKHOOK_OTS_INSTANCE: fake.instanceName,
      TASKHOOK_TABLE_PREFIX: prefix,
      TASKHOOK_DISCOVER: '',
    };
    const base = doctorDeps(sim, env);
    const store = createTablestoreStore({
      endpoint: fake.endpoint,
      instance: fake.instanceName,
      tablePrefix: prefix,
      credentials: () => credentials,
      retry: FAST,
    });
    const storeProbe = tablestoreProbe(base.config, () => credentials);
    try {
      return await runDoctor({ ...base, store, storeProbe });
    } finally {
      storeProbe.close?.();
      await store.close();
    }
  }

  it('passes with every table present, and writes, reads and deletes the probe mark in the marks table, with the role’s actions only', async () => {
    await createTablesBut('dr_ok_', []);
    fake.resetCounters();
    const report = await doctorOn('dr_ok_');
    // The role holds no ots:ListTable (README, Deployment step 2): each table is read by a key no record uses instead;
    // GetRange lists the webhooks.
    expect(Object.keys(fake.requests()).sort()).toEqual(['GetRange', 'GetRow', 'PutRow']);
    expect(byName(report, 'store.tables')).toMatchObject({
      status: 'pass',
      detail: `all 12 tables the store uses exist on Tablestore instance ${fake.instanceName} at ${new URL(fake.endpoint).host} (prefix dr_ok_)`,
    });
    expect(byName(report, 'store.probe')).toMatchObject({ status: 'pass', detail: 'a probe mark was written to and read from dr_ok_marks, then cleared' });
    const db = new Db({ endpoint: fake.endpoint, instance: fake.instanceName, tablePrefix: 'dr_ok_', credentials: () => fake, retry: FAST });
    expect((await db.getRow(db.table('marks', ['name']), [PROBE_MARK]))?.attrs.value).toBe('');
    db.close();
  });

  it('names the tables that do not exist, and how to create them', async () => {
    await createTablesBut('dr_miss_', ['runs', 'marks']);
    const report = await doctorOn('dr_miss_');
    expect(byName(report, 'store.tables')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^2 of the 12 tables the store uses do not exist on .*: dr_miss_marks, dr_miss_runs$/),
      fix: expect.stringMatching(/^create them: `taskhook tables init`.*TASKHOOK_TABLE_PREFIX=dr_miss_/),
    });
    expect(byName(report, 'store.probe')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^the probe mark's write in dr_miss_marks failed: .*OTSObjectNotExist/),
    });
    expect(report.ok).toBe(false);
  });

  it('fails with the permission to grant when Tablestore refuses the credentials', async () => {
    await createTablesBut('dr_auth_', []);
    const report = await doctorOn('dr_auth_', { accessKeyId: 'LTAIwrongkey000001', accessKeySecret: 'wrong-secret' });
    expect(byName(report, 'store.tables')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining(`allow the role or user ots:GetRow on acs:ots:<region>:<account-id>:instance/${fake.instanceName}/table/dr_auth_*`),
    });
    expect(byName(report, 'store.probe')).toMatchObject({ status: 'fail', fix: expect.stringContaining('ots:PutRow') });
    expect(JSON.stringify(report)).not.toContain('LTAIwrongkey000001');
  });
});
