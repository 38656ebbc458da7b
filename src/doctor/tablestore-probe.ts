/** The Tablestore side of the store checks, with the role's own actions only: it holds GetRow, not ListTable. */
import { requireOts, type Config, type Credentials } from '../config.js';
import type { RetryPolicy } from '../retry.js';
import type { Db } from '../store/tablestore/client.js';
import type { StoreProbe } from './types.js';

/** A key no record uses: reading it finds nothing in a table that exists, and OTSObjectNotExist in one that does not. */
const ABSENT_KEY = '__taskhook_doctor__';

/** A doctor waits seconds, not the poller's 15 s of retries, before saying what failed. */
const PROBE_RETRY: RetryPolicy = { baseDelayMs: 100, maxDelayMs: 1_000, budgetMs: 4_000, maxAttempts: 3 };

export function tablestoreProbe(config: Config, credentials: () => Credentials | null): StoreProbe {
  let opened: Promise<{ db: Db; tables: typeof import('../store/tablestore/schema.js') }> | null = null;
  // Loaded at the first check: the SDK costs nothing where the doctor never runs.
  const open = () =>
    (opened ??= (async () => {
      const [client, tables] = await Promise.all([import('../store/tablestore/client.js'), import('../store/tablestore/schema.js')]);
      const db = new client.Db({ ...requireOts(config), tablePrefix: config.tablePrefix, credentials, retry: PROBE_RETRY, timeoutMs: 5_000 });
      return { db, tables };
    })());
  const host = config.ots.endpoint ? new URL(config.ots.endpoint).host : 'TASKHOOK_OTS_ENDPOINT (unset)';
  return {
    where: `Tablestore instance ${config.ots.instance ?? '(TASKHOOK_OTS_INSTANCE unset)'} at ${host}`,
    async tables() {
      const { db, tables } = await open();
      const each = Object.entries(tables.TABLE_DEFS).map(([name, def]) => db.table(name, [...def.pk]));
      const exists = await Promise.all(
        each.map((table) =>
          db
            .getRow(
              table,
              table.pk.map(() => ABSENT_KEY),
            )
            .then(
              () => true,
              (error: unknown) => {
                if ((error as { code?: unknown })?.code === 'OTSObjectNotExist') return false;
                throw error;
              },
            ),
        ),
      );
      return { expected: each.map((t) => t.name), missing: each.filter((_, i) => !exists[i]).map((t) => t.name) };
    },
    close() {
      void opened?.then(({ db }) => db.close()).catch(() => undefined);
    },
  };
}
