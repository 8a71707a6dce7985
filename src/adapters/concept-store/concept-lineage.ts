/** Where a new concept sits in its family of refinements: its parent, its root, and whether the parent is gone. */
import { UUID_PATTERN, type RefinedConceptRow } from './concept-rows';

export type LineageColumns = Pick<RefinedConceptRow, 'parent_concept_id' | 'root_concept_id' | 'parent_deleted'>;
type ParentColumns = Pick<RefinedConceptRow, 'id' | 'root_concept_id'>;

/**
 * Parent and root of a new concept. The parent was checked (and read) by the download stage; if it
 * was deleted since, the child still records it, marked deleted, and becomes the root of what is left.
 */
export async function lineageOf(
  id: string,
  parentConceptId: string | undefined,
  readParent: (parentId: string) => Promise<ParentColumns | undefined>,
): Promise<LineageColumns> {
  if (parentConceptId === undefined) return { parent_concept_id: null, root_concept_id: id, parent_deleted: false };
  const parent = UUID_PATTERN.test(parentConceptId) ? await readParent(parentConceptId.toLowerCase()) : undefined;
  return {
    parent_concept_id: parentConceptId.toLowerCase(),
    root_concept_id: parent ? (parent.root_concept_id ?? parent.id) : id,
    parent_deleted: !parent,
  };
}
