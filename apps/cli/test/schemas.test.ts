import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliRoot } from "./helpers.js";

describe("published JSON Schemas", () => {
  it("schemas/ holds exactly what the zod schemas generate", async () => {
    const { jsonSchemas } = (await import(join(cliRoot, "dist/schemas.js"))) as {
      jsonSchemas: () => Record<string, unknown>;
    };
    const generated = jsonSchemas();
    const shipped = readdirSync(join(cliRoot, "schemas")).sort();
    expect(shipped).toEqual(
      Object.keys(generated)
        .map((n) => `${n}.schema.json`)
        .sort(),
    );
    for (const [name, schema] of Object.entries(generated))
      expect(JSON.parse(readFileSync(join(cliRoot, "schemas", `${name}.schema.json`), "utf8"))).toEqual(
        schema,
      );
  });

  it("ships the schemas, the capture script, the binary and dist, and nothing else", () => {
    const pkg = JSON.parse(readFileSync(join(cliRoot, "package.json"), "utf8")) as {
      files: string[];
      bin: Record<string, string>;
    };
    expect(pkg.files.filter((f) => !f.startsWith("!"))).toEqual(["bin", "capture", "dist", "schemas"]);
    expect(pkg.bin).toEqual({ memdesc: "bin/memdesc.cjs" });
  });
});
