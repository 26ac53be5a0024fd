import { readFileSync } from "node:fs";

/** What `npm run build` stamps from @memdesc/core and the monorepo's pins (scripts/stamp-versions.mjs). */
export interface Stamp {
  /** The @memdesc/core version this scaffolder was released with. */
  readonly core: string;
  /** The generated plugin's peer range on core (`>=0.1.0 <1`). */
  readonly corePeer: string;
  /** Its devDependency range on core (`^0.1.0`). */
  readonly coreDev: string;
  readonly zodPeer: string;
  /** The simulator a generated plugin's tests run its workload action on (`^0.1.0`). */
  readonly memmapDev: string;
  readonly devDependencies: Readonly<Record<string, string>>;
  /** Core's memory uses a plugin can describe, with what each is (a plugin declares any other it describes). */
  readonly memoryUses: readonly { readonly name: string; readonly description: string }[];
  /** Kinds core defines itself (`buddy`, `misc`): no plugin may take them. */
  readonly builtinKinds: readonly string[];
}

let cached: Stamp | undefined;

/** Reads stamp.json beside `dist/` (and beside `src/` in the repository, once built). */
export function readStamp(): Stamp {
  if (cached) return cached;
  const url = new URL("../stamp.json", import.meta.url);
  let text: string;
  try {
    text = readFileSync(url, "utf8");
  } catch {
    throw new Error(
      `create-memdesc-plugin is missing ${url.pathname}: it is written by \`npm run build\` (scripts/stamp-versions.mjs)`,
    );
  }
  cached = JSON.parse(text) as Stamp;
  return cached;
}
