/**
 * What the caller asked for, kept beside the ownership row so the owner can see it again (the web
 * page's history and before/after): the prompt and descriptions, and where the original came from.
 * Rows written before these columns existed have nulls.
 */
import type { Knex } from 'knex';
import { OWNERSHIP_TABLE } from './0001-create-gateway-refinements';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable(OWNERSHIP_TABLE, (table) => {
    table.text('refinement_prompt');
    table.text('logo_description');
    table.text('theme_description');
    // JSON array of strings.
    table.text('preserve_aspects');
    // The caller's URL; null when the original was uploaded (it is then at uploadKey(task_id)).
    table.text('original_image_url');
    table.boolean('uploaded');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable(OWNERSHIP_TABLE, (table) => {
    table.dropColumns('refinement_prompt', 'logo_description', 'theme_description', 'preserve_aspects', 'original_image_url', 'uploaded');
  });
}
