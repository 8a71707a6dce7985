/**
 * API keys for service callers: `rk_` + 32 random bytes (base64url). Only the SHA-256 of a key is
 * stored. A slow, salted hash (bcrypt, scrypt) protects guessable passwords; a 256-bit random key
 * cannot be guessed whatever the hash, and an unsalted fast hash lets every request find its key by
 * an indexed equality lookup instead of spending ~100 ms of CPU per request (a denial-of-service lever).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Audit } from '../../observability/audit';
import type { Knex } from 'knex';
import { API_KEYS_TABLE } from './migrations';

export const API_KEY_PREFIX = 'rk_';

export interface ApiKeyRecord {
  id: string;
  userId: string;
  label: string;
  createdAt: string;
  revokedAt: string | null;
}

interface ApiKeyRow {
  id: string;
  user_id: string;
  key_hash: string;
  label: string;
  created_at: string;
  revoked_at: string | null;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export class ApiKeys {
  constructor(
    private readonly knex: Knex,
    /** Records key creation and revocation (the audit trail); the key itself is never passed on. */
    private readonly audit: Audit = () => undefined,
  ) {}

  /** Returns the key itself exactly once; afterwards only its hash exists. */
  async create(userId: string, label = ''): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
    const row: ApiKeyRow = {
      id: randomUUID(),
      user_id: userId,
      key_hash: hashApiKey(key),
      label,
      created_at: new Date().toISOString(),
      revoked_at: null,
    };
    await this.table().insert(row);
    this.audit('api_key.created', { keyId: row.id, userId, label });
    return { key, record: toRecord(row) };
  }

  /** The owner of a live key, or undefined for an unknown or revoked one. */
  async authenticate(key: string): Promise<{ userId: string; keyId: string } | undefined> {
    const row = await this.table().where({ key_hash: hashApiKey(key) }).whereNull('revoked_at').first();
    return row && { userId: row.user_id, keyId: row.id };
  }

  /** True when a live key was revoked now. */
  async revoke(id: string): Promise<boolean> {
    const changed = await this.table().where({ id }).whereNull('revoked_at').update({ revoked_at: new Date().toISOString() });
    if (changed > 0) this.audit('api_key.revoked', { keyId: id });
    return changed > 0;
  }

  async list(userId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.table().where({ user_id: userId }).orderBy('created_at', 'desc');
    return rows.map(toRecord);
  }

  private table() {
    return this.knex<ApiKeyRow>(API_KEYS_TABLE);
  }
}

function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return { id: row.id, userId: row.user_id, label: row.label, createdAt: row.created_at, revokedAt: row.revoked_at };
}
