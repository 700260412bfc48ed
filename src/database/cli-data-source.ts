import 'reflect-metadata';
import { createDataSource } from './data-source';

/**
 * Entry for the TypeORM CLI (`npm run migration:generate`): it needs a module whose default export is a
 * DataSource. Points at DATABASE_URL, which must name a database migrated to the latest version.
 */
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL must be set to generate migrations');
export default createDataSource(url);
