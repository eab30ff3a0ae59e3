/** Where the templates and static files are, from src/web (tsx, vitest) or dist/web (built) alike. */
import { fileURLToPath } from 'node:url';

export const VIEWS_DIR = fileURLToPath(new URL('../../views', import.meta.url));
export const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));
export const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));
