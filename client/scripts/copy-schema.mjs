// tsc emits no file for a declaration file of the sources: the generated types are copied beside
// the compiled client so that dist/index.d.ts finds `./schema.js`.
import fs from 'node:fs';
import path from 'node:path';

const client = path.dirname(import.meta.dirname);
fs.copyFileSync(path.join(client, 'src/schema.d.ts'), path.join(client, 'dist/schema.d.ts'));
