/**
 * ConceptStore on knex: PostgreSQL in production, SQLite (better-sqlite3) for a single machine.
 * The same schema, queries and error mapping serve both; where the dialects differ the code says so.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { ConceptValidationError, StorageUnavailableError, withOperatorDetail } from '../../errors';
import {
  InvalidConceptCursorError,
  type ConceptListQuery,
  type ConceptPage,
  type ConceptStore,
  type RefinedConcept,
  type RefinedConceptInput,
} from './concept-store';
import { connectDatabase, openMigratedDatabase, type DatabaseConfig } from '../database/knex-database';
import { CONCEPT_STORE_MIGRATIONS, CONCEPT_STORE_MIGRATIONS_TABLE } from './migrations';
import { REFINED_CONCEPTS_TABLE } from './migrations/0001-create-refined-concepts';

export { connectDatabase, type DatabaseConfig };

export interface ConceptStoreOptions {
  /**
   * Where knex's own warnings go (e.g. a pino logger); default: the console. They repeat what the
   * thrown errors already say, so callers with a logger usually route them there.
   */
  log?: Knex.Logger;
}

interface RefinedConceptRow {
  id: string;
  task_id: string;
  user_id: string;
  logo_description: string;
  theme_description: string;
  image_path: string;
  image_url: string;
  /** Parsed by pg (json column); a JSON string from SQLite. */
  color_palettes: unknown;
  /** PostgreSQL boolean, SQLite 0/1. */
  is_anonymous: boolean | number;
  refinement_prompt: string;
  original_image_url: string;
  /** Date from pg; an ISO-8601 UTC string from SQLite. */
  created_at: Date | string | number;
  parent_concept_id: string | null;
  root_concept_id: string | null;
  /** PostgreSQL boolean, SQLite 0/1. */
  parent_deleted: boolean | number;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opens the database, brings the schema up to date and returns a ready store. */
export async function openConceptStore(
  db: DatabaseConfig,
  options: ConceptStoreOptions = {},
): Promise<KnexConceptStore> {
  const knex = await openMigratedDatabase(db, { migrations: CONCEPT_STORE_MIGRATIONS, tableName: CONCEPT_STORE_MIGRATIONS_TABLE, ...options }).catch(
    (err: unknown) => {
      throw classifyDatabaseError(err, 'migrate the concept store');
    },
  );
  return new KnexConceptStore(knex);
}


export class KnexConceptStore implements ConceptStore {
  constructor(private readonly knex: Knex) {}

  async storeConcept(concept: RefinedConceptInput): Promise<{ id: string; created: boolean }> {
    const candidateId = randomUUID();
    const row = { ...toRow(candidateId, concept), ...(await this.lineageOf(candidateId, concept.parentConceptId)) };
    // ON CONFLICT DO NOTHING, then read back: whichever insert won (ours, an earlier attempt's, or a
    // concurrent one's), every caller returns that row's id. PostgreSQL makes the losing insert wait
    // for the winner to commit, so the read below always sees it.
    await this.run('store the refined concept', () => this.table().insert(row).onConflict('task_id').ignore());
    const stored = await this.run('read back the refined concept', () =>
      this.table().where({ task_id: concept.taskId }).first('id'),
    );
    if (!stored) {
      // Only if the row was deleted between the two statements: trying again will insert it afresh.
      throw new StorageUnavailableError(`refined concept for task ${concept.taskId} vanished right after insert`);
    }
    return { id: stored.id, created: stored.id === candidateId };
  }

  async findById(id: string): Promise<RefinedConcept | undefined> {
    // Not a UUID means no such row; asking PostgreSQL would fail on the uuid cast instead.
    if (!UUID_PATTERN.test(id)) return undefined;
    const row = await this.run('find a refined concept', () => this.table().where({ id: id.toLowerCase() }).first());
    return row && fromRow(row);
  }

  async findByTaskId(taskId: string): Promise<RefinedConcept | undefined> {
    const row = await this.run('find a refined concept', () => this.table().where({ task_id: taskId }).first());
    return row && fromRow(row);
  }

  async countByTaskId(taskId: string): Promise<number> {
    const result = await this.run('count refined concepts', () =>
      this.table().where({ task_id: taskId }).count({ n: '*' }).first(),
    );
    // PostgreSQL returns count(*) as a bigint string.
    return Number(result?.n ?? 0);
  }

  async listByUser(userId: string, { rootConceptId, cursor, limit }: ConceptListQuery): Promise<ConceptPage> {
    const query = this.table().where({ user_id: userId });
    if (rootConceptId !== undefined) query.andWhere({ root_concept_id: rootConceptId.toLowerCase() });
    // PostgreSQL keeps microseconds, a cursor milliseconds: order and compare at the cursor's precision.
    const createdAt = this.knex.client.dialect === 'postgresql' ? this.knex.raw(`date_trunc('milliseconds', created_at)`) : this.knex.ref('created_at');
    if (cursor !== undefined) {
      const after = decodeCursor(cursor);
      query.andWhere((q) =>
        q.where(createdAt, '<', after.createdAt).orWhere((same) => same.where(createdAt, '=', after.createdAt).andWhere('id', '<', after.id)),
      );
    }
    const rows = await this.run('list refined concepts', () =>
      query.orderBy([{ column: createdAt as unknown as string, order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit + 1),
    );
    const items = (rows as RefinedConceptRow[]).slice(0, limit).map(fromRow);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  async findChildren(parentId: string): Promise<RefinedConcept[]> {
    if (!UUID_PATTERN.test(parentId)) return [];
    const rows = await this.run('find child concepts', () =>
      this.table().where({ parent_concept_id: parentId.toLowerCase() }).orderBy([{ column: 'created_at' }, { column: 'id' }]),
    );
    return (rows as RefinedConceptRow[]).map(fromRow);
  }

  async deleteConcept(id: string): Promise<boolean> {
    if (!UUID_PATTERN.test(id)) return false;
    const key = id.toLowerCase();
    return this.run('delete a refined concept', () =>
      this.knex.transaction(async (trx) => {
        const removed = await trx<RefinedConceptRow>(REFINED_CONCEPTS_TABLE).where({ id: key }).delete();
        await trx<RefinedConceptRow>(REFINED_CONCEPTS_TABLE).where({ parent_concept_id: key }).update({ parent_deleted: true });
        return removed > 0;
      }),
    );
  }

  async ping(): Promise<void> {
    await this.run('reach the database', () => this.knex.raw('select 1'));
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }

  private table() {
    return this.knex<RefinedConceptRow>(REFINED_CONCEPTS_TABLE);
  }

  /**
   * Parent and root of a new concept. The parent was checked (and read) by the download stage; if it
   * was deleted since, the child still records it, marked deleted, and becomes the root of what is left.
   */
  private async lineageOf(id: string, parentConceptId: string | undefined) {
    if (parentConceptId === undefined) return { parent_concept_id: null, root_concept_id: id, parent_deleted: false };
    const parent = UUID_PATTERN.test(parentConceptId)
      ? await this.run('read the parent concept', () => this.table().where({ id: parentConceptId.toLowerCase() }).first('id', 'root_concept_id'))
      : undefined;
    return {
      parent_concept_id: parentConceptId.toLowerCase(),
      root_concept_id: parent ? (parent.root_concept_id ?? parent.id) : id,
      parent_deleted: !parent,
    };
  }

  private async run<T>(action: string, query: () => PromiseLike<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      throw classifyDatabaseError(err, action);
    }
  }
}

/** created_at is left to the column default. */
function toRow(id: string, concept: RefinedConceptInput): Omit<RefinedConceptRow, 'created_at' | 'parent_concept_id' | 'root_concept_id' | 'parent_deleted'> {
  assertValidConcept(concept);
  return {
    id,
    task_id: concept.taskId,
    user_id: concept.userId,
    logo_description: concept.logoDescription,
    theme_description: concept.themeDescription,
    image_path: concept.imagePath,
    image_url: concept.imageUrl,
    // Always a JSON string: pg would otherwise send a JS array as a PostgreSQL array literal.
    color_palettes: JSON.stringify(concept.colorPalettes),
    is_anonymous: concept.isAnonymous,
    refinement_prompt: concept.refinementPrompt,
    original_image_url: concept.originalImageUrl,
  };
}

function fromRow(row: RefinedConceptRow): RefinedConcept {
  return {
    id: row.id,
    taskId: row.task_id,
    userId: row.user_id,
    logoDescription: row.logo_description,
    themeDescription: row.theme_description,
    imagePath: row.image_path,
    imageUrl: row.image_url,
    colorPalettes: (typeof row.color_palettes === 'string' ? JSON.parse(row.color_palettes) : row.color_palettes) as unknown[],
    isAnonymous: Boolean(row.is_anonymous),
    refinementPrompt: row.refinement_prompt,
    originalImageUrl: row.original_image_url,
    createdAt: toDate(row.created_at),
    parentConceptId: row.parent_concept_id,
    rootConceptId: row.root_concept_id ?? row.id,
    parentDeleted: Boolean(row.parent_deleted),
  };
}

/** Newest first; the cursor is the (created_at, id) of the last concept of the previous page. */
function encodeCursor(concept: RefinedConcept): string {
  return Buffer.from(JSON.stringify([concept.createdAt.toISOString(), concept.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string' && UUID_PATTERN.test(id) && !Number.isNaN(Date.parse(createdAt))) {
      return { createdAt: new Date(createdAt).toISOString(), id };
    }
  } catch {
    // fall through: any malformed cursor gets the same answer
  }
  throw new InvalidConceptCursorError();
}

function toDate(value: Date | string | number): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  // A zone-less SQLite timestamp ("2024-05-01 12:00:00") is UTC; Date would read it as local time.
  const iso = value.replace(' ', 'T');
  return new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(iso) ? iso : `${iso}Z`);
}

const TEXT_FIELDS = [
  'taskId',
  'userId',
  'logoDescription',
  'themeDescription',
  'imagePath',
  'imageUrl',
  'refinementPrompt',
  'originalImageUrl',
] as const;

/**
 * Checked here so both databases refuse the same things: SQLite would happily store a NUL byte or a
 * number in a text column that PostgreSQL rejects.
 */
function assertValidConcept(concept: RefinedConceptInput): void {
  const problems: string[] = [];
  for (const field of TEXT_FIELDS) {
    const value: unknown = concept[field];
    if (typeof value !== 'string') problems.push(`${field} must be a string`);
    else if (value.includes('\u0000')) problems.push(`${field} contains a NUL character`);
  }
  if (typeof concept.taskId === 'string' && concept.taskId.trim() === '') problems.push('taskId is empty');
  if (typeof concept.userId === 'string' && concept.userId.trim() === '') problems.push('userId is empty');
  if (typeof concept.isAnonymous !== 'boolean') problems.push('isAnonymous must be a boolean');
  if (!Array.isArray(concept.colorPalettes)) problems.push('colorPalettes must be an array');
  else {
    try {
      JSON.stringify(concept.colorPalettes);
    } catch (err) {
      problems.push(`colorPalettes is not JSON-serialisable (${(err as Error).message})`);
    }
  }
  if (problems.length > 0) throw new ConceptValidationError(`invalid refined concept: ${problems.join('; ')}`);
}

/** Network-level failures to reach the database server. */
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * PostgreSQL SQLSTATEs worth retrying: 08 connection exception, 53 insufficient resources (53300 too
 * many connections), 58 system/IO error, 57P0x server shutting down or starting, 40001/40P01
 * serialisation failure and deadlock, 55P03 lock not available, 57014 statement timeout/cancel.
 */
const TRANSIENT_PG_CLASSES = ['08', '53', '58'];
const TRANSIENT_PG_STATES = new Set(['57P01', '57P02', '57P03', '40001', '40P01', '55P03', '57014']);
/** 22 data exception, 23 integrity constraint violation: the row itself is wrong. */
const PERMANENT_PG_CLASSES = ['22', '23'];
const TRANSIENT_SQLITE_CODES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL', 'SQLITE_NOMEM'];
const PERMANENT_SQLITE_CODES = ['SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG'];
/** pg reports a dropped or timed-out connection without a code. */
const TRANSIENT_MESSAGES = /Connection terminated|connection error|not queryable|timeout expired|Timeout acquiring a connection/i;

type Verdict = 'transient' | 'permanent' | 'unknown';

/**
 * Database trouble becomes StorageUnavailableError (retry) or ConceptValidationError (do not);
 * anything unrecognised — usually a bug — is passed on unchanged.
 */
export function classifyDatabaseError(err: unknown, action: string): unknown {
  if (err instanceof StorageUnavailableError || err instanceof ConceptValidationError) return err;
  const verdict = judge(err);
  const reason = err instanceof Error ? err.message : String(err);
  // A connection failure's message names the database's address: that is for the operator's log only.
  if (verdict === 'transient') {
    const code = (err as { code?: unknown } | null)?.code;
    return withOperatorDetail(
      new StorageUnavailableError(`could not ${action}: the database is unavailable${typeof code === 'string' ? ` (${code})` : ''}`, { cause: err }),
      reason,
    );
  }
  if (verdict === 'permanent') return new ConceptValidationError(`could not ${action}: ${reason}`, { cause: err });
  return err;
}

function judge(err: unknown): Verdict {
  if (typeof err !== 'object' || err === null) return 'unknown';
  const { code, name, message, errors } = err as { code?: unknown; name?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string') {
    if (TRANSIENT_NODE_CODES.has(code)) return 'transient';
    if (code.startsWith('SQLITE_')) {
      if (TRANSIENT_SQLITE_CODES.some((c) => code.startsWith(c))) return 'transient';
      if (PERMANENT_SQLITE_CODES.some((c) => code.startsWith(c))) return 'permanent';
    } else if (/^[0-9A-Z]{5}$/.test(code)) {
      if (TRANSIENT_PG_STATES.has(code) || TRANSIENT_PG_CLASSES.includes(code.slice(0, 2))) return 'transient';
      if (PERMANENT_PG_CLASSES.includes(code.slice(0, 2))) return 'permanent';
    }
  }
  if (name === 'KnexTimeoutError') return 'transient';
  if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return 'transient';
  // Connecting to a host name with several addresses fails with one AggregateError over all of them.
  if (Array.isArray(errors) && errors.length > 0 && errors.every((inner) => judge(inner) === 'transient')) {
    return 'transient';
  }
  return 'unknown';
}
