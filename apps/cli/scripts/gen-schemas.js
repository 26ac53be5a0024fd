// Writes the JSON Schema of every command's --json output (and of memdesc.config.json) into schemas/, from
// the zod schemas in dist/schemas.js. Run by `npm run build` (which then formats them with biome); the files
// ship in the package.
import { mkdirSync, writeFileSync } from "node:fs";
import { jsonSchemas } from "../dist/schemas.js";

const dir = new URL("../schemas/", import.meta.url);
mkdirSync(dir, { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas()))
  writeFileSync(new URL(`${name}.schema.json`, dir), `${JSON.stringify(schema, null, 2)}\n`);
