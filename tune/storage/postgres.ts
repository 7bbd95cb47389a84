import { InputError } from '../../tensor/errors.js';
import { opSchema, type Op } from './ops.js';
import type { LogBackend } from './storage.js';

interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}

const TABLE = 'hbx_tune_journal';
// Appends take this advisory lock for their transaction, so ids commit in id order and a
// reader that has seen id n has seen every id below it.
const APPEND_LOCK = 0x68627874;

/** The journal as rows of one PostgreSQL table, for workers on several machines sharing studies. */
export class PostgresBackend implements LogBackend {
  readonly synchronous = false;
  private cursor = 0;

  private constructor(
    private readonly client: PgClient,
    private readonly url: string,
  ) {}

  static async connect(url: string): Promise<PostgresBackend> {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 }) as unknown as PgClient;
    const shown = redact(url);
    const fail = async (what: string, err: unknown) => {
      await client.end().catch(() => {});
      return new InputError(`storage '${shown}': ${what} (${(err as Error).message.split('\n')[0]})`);
    };
    try {
      await client.connect();
    } catch (err) {
      throw await fail('cannot reach PostgreSQL', err);
    }
    try {
      // CREATE TABLE IF NOT EXISTS is not safe against itself: two workers starting at once can
      // both try to create the table. The append lock makes them take turns.
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
      await client.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id BIGSERIAL PRIMARY KEY, op JSONB NOT NULL)`);
      await client.query('COMMIT');
    } catch (err) {
      throw await fail(`cannot create the table ${TABLE}`, err);
    }
    return new PostgresBackend(client, shown);
  }

  get description(): string {
    return `postgresql ${this.url}`;
  }

  async append(ops: Op[]): Promise<void> {
    await this.client.query('BEGIN');
    try {
      await this.client.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
      for (const op of ops) await this.client.query(`INSERT INTO ${TABLE} (op) VALUES ($1)`, [JSON.stringify(op)]);
      await this.client.query('COMMIT');
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  async readNew(): Promise<Op[]> {
    const { rows } = await this.client.query(`SELECT id, op FROM ${TABLE} WHERE id > $1 ORDER BY id`, [this.cursor]);
    const ops: Op[] = [];
    for (const row of rows) {
      const parsed = opSchema.safeParse(row.op);
      if (!parsed.success) throw new InputError(`${this.url}: row ${String(row.id)} of ${TABLE}: ${parsed.error.issues[0].message}`);
      ops.push(parsed.data);
      this.cursor = Number(row.id);
    }
    return ops;
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
