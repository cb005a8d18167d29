// What a failed read or write of the data folder means, in words a person can act on: a full
// disk, an I/O error, a damaged database, a session deleted under its writer. SQLite's errors
// come from better-sqlite3 with SQLite's extended result code as `code` (SQLITE_FULL,
// SQLITE_IOERR_WRITE, ...); the file system's from Node with errno names (ENOSPC, EIO, ...).
import { errorCode, errorMessage } from '../../shared/errors';

// The error types here are the storage's and the session service's both: transports map them to
// the contract's codes.

/** A request that is well formed but cannot be done in the session's current state. */
export class PreconditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreconditionError';
  }
}

/**
 * The data folder could not be read or written (a full disk, an I/O error, a damaged
 * database): the message says what could not be done and why. A PreconditionError, so that
 * transports show its message rather than an internal error.
 */
export class StorageError extends PreconditionError {
  constructor(message: string, cause?: unknown) {
    super(message);
    this.name = 'StorageError';
    this.cause = cause;
  }
}

/** No session has the id asked for: none ever did, or it has been deleted (`message` says when). */
export class SessionNotFoundError extends Error {
  constructor(id: string, message = `no session with id ${id}`) {
    super(message);
    this.name = 'SessionNotFoundError';
  }
}

/** A storage failure as a StorageError saying `what` could not be done and why; any other error as it is. */
export function asStorageError(what: string, error: unknown): unknown {
  if (error instanceof PreconditionError || error instanceof SessionNotFoundError) return error;
  const reason = storageFailureReason(error);
  return reason === undefined ? error : new StorageError(`${what}: ${reason}`, error);
}

/** The reason behind a storage failure, or undefined when the error is not one. */
export function storageFailureReason(error: unknown): string | undefined {
  const code = errorCode(error);
  if (code === undefined) return undefined;
  const message = errorMessage(error);
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
  const code = errorCode(error) ?? '';
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}
