/**
 * "Refine again" and the lineage strip slot in here once the API has concept lineage routes. It has
 * none yet (issue 13 asks for them separately), so this renders nothing until /openapi.json lists
 * them: the page needs no new build when the gateway gains them, only these two routes' shapes.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';

/** The routes this component waits for. */
export const LINEAGE_ROUTE = '/v1/concepts/{conceptId}/lineage';
export const REFINE_AGAIN_ROUTE = '/v1/concepts/{conceptId}/refinements';

let routes: Promise<Set<string>> | undefined;

export function ConceptLineage({ conceptId }: { conceptId: string }) {
  const [available, setAvailable] = useState({ lineage: false, refineAgain: false });
  useEffect(() => {
    routes ??= api.routes().catch(() => new Set<string>());
    void routes.then((paths) => setAvailable({ lineage: paths.has(LINEAGE_ROUTE), refineAgain: paths.has(REFINE_AGAIN_ROUTE) }));
  }, [conceptId]);
  if (!available.lineage && !available.refineAgain) return null;
  return (
    <section class="lineage" aria-label="Concept lineage" data-concept={conceptId}>
      {/* Filled in with the lineage routes: a strip of the concept's ancestors' thumbnails and a "Refine again" button. */}
    </section>
  );
}
