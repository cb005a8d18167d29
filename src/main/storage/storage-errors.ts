// What a failed read or write of the data folder means, in words a person can act on: a full
// disk, an I/O error, a damaged database, a session deleted under its writer. SQLite's errors
// come from better-sqlite3 with SQLite's extended result code as `code` (SQLITE_FULL,
// SQLITE_IOERR_WRITE, ...); the file system's from Node with errno names (ENOSPC, EIO, ...).

/** The reason behind a storage failure, or undefined when the error is not one. */
export function storageFailureReason(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  const message = error instanceof Error ? error.message : String(error);
  const said = (reason: string) => (message && !reason.includes(message) ? `${reason} (${message})` : reason);
  if (code === 'SQLITE_FULL') return said('the disk holding the data folder is full');
  if (code === 'ENOSPC') return said('no space is left on the disk');
  if (code === 'EDQUOT') return said('the disk quota is used up');
  if (code === 'EFBIG') return said('the file is larger than the file system allows');
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return said('the disk could not be read or written');
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return said('the database is damaged');
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return said('the data folder cannot be written');
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return said('the session no longer exists: it was deleted while it was being written');
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return said('another program holds the database');
  if (code.startsWith('SQLITE_CANTOPEN')) return said('the database cannot be opened');
  if (code === 'SQLITE_NOMEM' || code === 'ENOMEM') return said('the computer is out of memory');
  return undefined;
}

/** True for the errors that mean the database file itself is damaged. */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}
