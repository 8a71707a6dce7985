/**
 * Database failures as the concept store reports them: out of reach is the transient
 * StorageUnavailableError, a refused row the permanent ConceptValidationError, anything else as is.
 */
import {
  connectDatabase,
  KnexConceptStore,
  openConceptStore,
  type DatabaseConfig,
} from '../../../src/adapters/concept-store/knex-concept-store';
import { classifyDatabaseError } from '../../../src/adapters/database/database-errors';
import { ConceptValidationError, StorageUnavailableError } from '../../../src/errors';
import { conceptFor, quiet } from './databases';

const UNREACHABLE_POSTGRES: DatabaseConfig = { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/x' };

describe('when the database is out of reach', () => {
  it('openConceptStore fails with the transient StorageUnavailableError', async () => {
    const attempt = openConceptStore(UNREACHABLE_POSTGRES, quiet);
    await expect(attempt).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(attempt).rejects.toMatchObject({ retryable: true });
  });

  it('queries on an open store fail with StorageUnavailableError', async () => {
    const store = new KnexConceptStore(await connectDatabase(UNREACHABLE_POSTGRES, quiet));
    try {
      await expect(store.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(store.findByTaskId('task-1')).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(store.storeConcept(conceptFor('task-1'))).rejects.toBeInstanceOf(StorageUnavailableError);
    } finally {
      await store.close();
    }
  });
});

describe('classifyDatabaseError', () => {
  const withCode = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

  it.each([
    ['ECONNREFUSED', withCode('ECONNREFUSED')],
    ['admin shutdown 57P01', withCode('57P01')],
    ['too many connections 53300', withCode('53300')],
    ['connection failure 08006', withCode('08006')],
    ['deadlock 40P01', withCode('40P01')],
    ['SQLITE_BUSY', withCode('SQLITE_BUSY')],
    ['SQLITE_IOERR_WRITE', withCode('SQLITE_IOERR_WRITE')],
    ['a dropped pg connection', new Error('Connection terminated unexpectedly')],
    ['a pool timeout', Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' })],
    ['AggregateError of refusals', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
  ])('%s → StorageUnavailableError', (_what, err) => {
    const mapped = classifyDatabaseError(err, 'test');
    expect(mapped).toBeInstanceOf(StorageUnavailableError);
    expect((mapped as Error).cause).toBe(err);
  });

  it("keeps the database's address out of the message (it reaches the user) and in the operator's detail", () => {
    const refused = withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.20.30.40:5432');
    const mapped = classifyDatabaseError(refused, 'store the concept') as StorageUnavailableError;
    expect(mapped.message).toBe('could not store the concept: the database is unavailable (ECONNREFUSED)');
    expect(mapped.operatorDetail).toContain('10.20.30.40:5432');
  });

  it.each([
    ['unique violation 23505', withCode('23505')],
    ['not-null violation 23502', withCode('23502')],
    ['invalid text 22P02', withCode('22P02')],
    ['SQLITE_CONSTRAINT_NOTNULL', withCode('SQLITE_CONSTRAINT_NOTNULL')],
  ])('%s → ConceptValidationError', (_what, err) => {
    expect(classifyDatabaseError(err, 'test')).toBeInstanceOf(ConceptValidationError);
  });

  it('passes unrecognised errors (usually bugs) through unchanged', () => {
    const bug = withCode('42P01', 'relation "nope" does not exist');
    expect(classifyDatabaseError(bug, 'test')).toBe(bug);
    expect(classifyDatabaseError('a string', 'test')).toBe('a string');
  });
});
