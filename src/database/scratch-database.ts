import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** The same server and credentials as `url`, another database. */
export function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function onServer(adminUrl: string, sql: string): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Drops the database, closing its open connections first. */
export function dropDatabase(adminUrl: string, name: string): Promise<void> {
  return onServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/**
 * An empty database on the server `adminUrl` points at: `name` as given (dropped first if it exists) or
 * `<prefix>_<random>`, so runs side by side never see each other's rows. Names are unquoted identifiers.
 */
export async function createScratchDatabase(
  adminUrl: string,
  opts: { prefix: string } | { name: string },
): Promise<ScratchDatabase> {
  const name = 'name' in opts ? opts.name : `${opts.prefix}_${randomBytes(6).toString('hex')}`;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`"${name}" is not a plain database name`);
  if ('name' in opts) await dropDatabase(adminUrl, name);
  await onServer(adminUrl, `CREATE DATABASE ${name}`);
  return { name, url: databaseUrl(adminUrl, name), drop: () => dropDatabase(adminUrl, name) };
}
