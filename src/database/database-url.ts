/**
 * The URL of the database this application runs on (DATABASE_URL, or the embedded server's), for work that
 * must reach the same database from another process: a job run in a child process.
 */
export const DATABASE_URL = Symbol('DATABASE_URL');
