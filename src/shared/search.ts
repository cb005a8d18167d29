// Case-insensitive search over session titles and file names, one folding for the database and
// the UI (which filters the sessions it has while the database answers). SQLite's LIKE and
// lower() fold ASCII only, and macOS hands out file names in decomposed form, so the store keeps
// a folded copy of both in `search_text` and matches a folded query against it as a plain
// substring (instr): `%` and `_` in a query are ordinary characters, with nothing to escape.
// Changing `fold` needs a migration that recomputes search_text.

/** Unicode compatibility form, lower case, every run of white space one space. */
function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ');
}

/** The folded title and file name, on two lines: a folded query has no line break, so it cannot match across them. */
export function searchTextOf(title: string, originalName: string | null): string {
  return `${fold(title)}\n${fold(originalName ?? '')}`;
}

/** The needle for `instr(search_text, ?)`, or undefined when the query asks for nothing. */
export function searchNeedleOf(query: string | undefined): string | undefined {
  const needle = fold(query ?? '').trim();
  return needle === '' ? undefined : needle;
}

/** What the database's search answers for one session, for a list already at hand. */
export function matchesSearch(session: { title: string; original_name: string | null }, query: string): boolean {
  const needle = searchNeedleOf(query);
  return needle === undefined || searchTextOf(session.title, session.original_name).includes(needle);
}
