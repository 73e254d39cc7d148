import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder: where package.json, cdk.json and functions/ live. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
