/** The opaque cursor of a concept listing: where the previous page ended. */
import { InvalidConceptCursorError, type RefinedConcept } from './concept-store';
import { UUID_PATTERN } from './concept-rows';

/** Newest first; the cursor is the (created_at, id) of the last concept of the previous page. */
export function encodeCursor(concept: RefinedConcept): string {
  return Buffer.from(JSON.stringify([concept.createdAt.toISOString(), concept.id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
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
