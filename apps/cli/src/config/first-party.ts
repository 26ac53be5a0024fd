import { createRequire } from "node:module";
import type { ComposedPlugin } from "./plugins.js";

/**
 * The first-party set (@memdesc/first-party, shared with the explorer and the tests). Each package's version is
 * read from its package.json when something asks for it (`memdesc plugins`, a survey's record of its set), so a
 * command that only composes the set reads no manifests and loads no resolver.
 */
export async function loadFirstParty(): Promise<ComposedPlugin[]> {
  const { firstPartySet } = await import("@memdesc/first-party");
  return firstPartySet.map((p) => {
    let version: string | undefined | null = null;
    return {
      plugin: p.make(),
      package: p.package,
      get version() {
        version ??= (createRequire(import.meta.url)(`${p.package}/package.json`) as { version?: string })
          .version;
        return version;
      },
      from: "first-party",
      key: undefined,
    };
  });
}
