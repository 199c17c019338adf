/**
 * The searchable text of a `messages` row (`alias` names it): a text's words, a file's name, a
 * location's label. Migrations and the search indexer share it: the full-text index must hold
 * the same text whichever of them wrote a row.
 */
export function searchText(alias: string): string {
  return `coalesce(json_extract(${alias}.body, '$.text'), json_extract(${alias}.body, '$.name'),
    json_extract(${alias}.body, '$.label'), '')`;
}
