import { parseArgs } from "node:util";
import { type PluginAnswers, ScaffoldError } from "./options.js";

/** What the command line says: the answers given as flags, and how to run. */
export interface ParsedArgs {
  readonly given: Partial<PluginAnswers>;
  /** `--yes` / `--no-interactive`: never prompt; every answer not given takes its default. */
  readonly yes: boolean;
  readonly help: boolean;
  readonly version: boolean;
}

export const usage = `Usage: npm init memdesc-plugin [directory] -- [options]
       create-memdesc-plugin [directory] [options]

Scaffolds a memdesc descriptor plugin package. Asks for whatever no flag gives when run in a terminal;
with --yes (or without a terminal) every answer not given takes its default.

Options:
  --name NAME            npm package name (default: memdesc-plugin-<directory>)
  --kind KIND            registry kind, lower-case words joined by dashes (default: from the name)
  --struct NAME          the C struct, struct NAME (default: the kind with _ for -)
  --description TEXT     one line for package.json and the README
  --storage pointer|inline
                         pointer: a separately allocated descriptor in the memdesc era (default);
                         inline: fields packed into the memdesc word
  --uses LIST            comma-separated memory uses it describes: core's (pagetable, hugetlb, …) or new
                         ones it declares (my-pages); a pointer kind with a use gets a workload action
                         (default none)
  --today, --no-today    include today's layout overlaying struct page with its *_MATCH rules
                         (default yes; a pointer descriptor needs it)
  --author NAME          for package.json and LICENSE
  -y, --yes, --no-interactive
                         do not prompt
  -h, --help             show this help
  -v, --version          print the version

Example:
  npm init memdesc-plugin my-desc -- --kind my-desc --uses pagetable --yes`;

/** Parses argv (without node and the script); bad flags are a ScaffoldError naming the flag. */
export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new ScaffoldError("BAD_FLAG", `${(err as Error).message} (see --help)`);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length > 1)
    throw new ScaffoldError(
      "BAD_FLAG",
      `one directory only, got ${positionals.length}: ${positionals.join(" ")} (quote a --description with spaces)`,
    );
  if (v.today && v["no-today"])
    throw new ScaffoldError("BAD_FLAG", "--today and --no-today contradict each other");
  const storage = v.storage;
  if (storage !== undefined && storage !== "pointer" && storage !== "inline")
    throw new ScaffoldError("BAD_FLAG", `--storage: "${storage}" must be one of: pointer, inline`);
  const given: Partial<PluginAnswers> = {
    ...(positionals[0] !== undefined ? { directory: positionals[0] } : {}),
    ...(v.name !== undefined ? { name: v.name } : {}),
    ...(v.kind !== undefined ? { kind: v.kind } : {}),
    ...(v.struct !== undefined ? { struct: v.struct } : {}),
    ...(v.description !== undefined ? { description: v.description } : {}),
    ...(storage !== undefined ? { storage } : {}),
    ...(v.uses !== undefined ? { uses: splitList(v.uses) } : {}),
    ...(v.today ? { today: true } : v["no-today"] ? { today: false } : {}),
    ...(v.author !== undefined ? { author: v.author } : {}),
  };
  return { given, yes: !!(v.yes || v["no-interactive"]), help: !!v.help, version: !!v.version };
}

export const splitList = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: "string" },
      kind: { type: "string" },
      struct: { type: "string" },
      description: { type: "string" },
      storage: { type: "string" },
      uses: { type: "string" },
      today: { type: "boolean" },
      "no-today": { type: "boolean" },
      author: { type: "string" },
      yes: { type: "boolean", short: "y" },
      "no-interactive": { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
}
