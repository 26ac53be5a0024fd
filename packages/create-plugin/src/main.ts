import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import * as p from "@clack/prompts";
import { parseCommandLine, splitList, usage } from "./args.js";
import {
  defaultDescription,
  defaultKind,
  defaultName,
  defaultStruct,
  issueLine,
  type PluginAnswers,
  ScaffoldError,
  validateDirectory,
  validateKind,
  validateName,
  validateStruct,
  validateUses,
  withDefaults,
} from "./options.js";
import { scaffold } from "./scaffold.js";
import { readStamp } from "./stamp.js";

export interface MainOptions {
  readonly cwd?: string;
  /** Prompt for missing answers (default: when stdin and stdout are terminals and not in CI). */
  readonly interactive?: boolean;
  readonly log?: (line: string) => void;
}

class Cancelled extends Error {}

function answered<T>(value: T): Exclude<T, symbol> {
  if (p.isCancel(value)) throw new Cancelled();
  return value as Exclude<T, symbol>;
}

/** Asks for every answer the flags did not give, offering the defaults derived from the earlier answers. */
async function ask(given: Partial<PluginAnswers>, cwd: string): Promise<PluginAnswers> {
  const directory =
    given.directory ??
    answered(
      await p.text({
        message: "Directory for the new plugin package",
        placeholder: "my-desc",
        defaultValue: "my-desc",
        validate: (v) => validateDirectory(v || "my-desc", cwd),
      }),
    );
  const name =
    given.name ??
    answered(
      await p.text({
        message: "npm package name",
        defaultValue: defaultName(directory),
        placeholder: defaultName(directory),
        validate: (v) => validateName(v || defaultName(directory)),
      }),
    );
  const kind =
    given.kind ??
    answered(
      await p.text({
        message: "Descriptor kind (the registry's name for it)",
        defaultValue: defaultKind(name),
        placeholder: defaultKind(name),
        validate: (v) => validateKind(v || defaultKind(name)),
      }),
    );
  const struct =
    given.struct ??
    answered(
      await p.text({
        message: "C struct name",
        defaultValue: defaultStruct(kind),
        placeholder: defaultStruct(kind),
        validate: (v) => validateStruct(v || defaultStruct(kind)),
      }),
    );
  const description =
    given.description ??
    answered(
      await p.text({
        message: "One-line description",
        defaultValue: defaultDescription(struct),
        placeholder: defaultDescription(struct),
      }),
    );
  const storage =
    given.storage ??
    answered(
      await p.select<"pointer" | "inline">({
        message: "How is it stored in the memdesc era?",
        initialValue: "pointer",
        options: [
          {
            value: "pointer",
            label: "pointer",
            hint: "a separately allocated descriptor the word points at",
          },
          { value: "inline", label: "inline", hint: "fields packed into the 8-byte memdesc word" },
        ],
      }),
    );
  const uses = given.uses ?? [
    ...answered(
      await p.multiselect<string>({
        message: "Which of core's memory uses does it describe? (space to choose, enter to go on)",
        required: false,
        options: readStamp().memoryUses.map((u) => ({ value: u.name, label: u.name, hint: u.description })),
      }),
    ),
    ...splitList(
      answered(
        await p.text({
          message: "New memory uses it declares, for memory core does not name (comma-separated, or none)",
          defaultValue: "",
          placeholder: "e.g. my-pages",
          validate: (v) => validateUses(splitList(v ?? "")),
        }),
      ),
    ),
  ];
  const usesProblem = validateUses(uses);
  if (usesProblem) throw new ScaffoldError("BAD_OPTION", `--uses: ${usesProblem}`);
  // A pointer descriptor must overlay struct page today; only an inline one may go without.
  const today =
    given.today ??
    (storage === "pointer"
      ? true
      : answered(
          await p.confirm({ message: "Include today's layout overlaying struct page?", initialValue: true }),
        ));
  const author =
    given.author ??
    answered(await p.text({ message: "Author (optional)", defaultValue: "", placeholder: "" }));
  return { directory, name, kind, struct, description, storage, uses, today, author };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Runs the scaffolder; resolves to the exit status (0 done, 1 bad input or cancelled). */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const cwd = options.cwd ?? process.cwd();
  const log = options.log ?? ((line: string) => console.log(line));
  try {
    const args = parseCommandLine(argv);
    if (args.help) {
      log(usage);
      return 0;
    }
    if (args.version) {
      log(version());
      return 0;
    }
    const interactive =
      !args.yes && (options.interactive ?? (!!process.stdin.isTTY && !!process.stdout.isTTY && !p.isCI()));
    let answers: PluginAnswers;
    if (interactive) {
      p.intro(`create-memdesc-plugin ${version()}`);
      answers = await ask(args.given, cwd);
    } else {
      if (args.given.directory === undefined)
        throw new ScaffoldError(
          "BAD_FLAG",
          "give the directory to create: npm init memdesc-plugin my-desc (or run it in a terminal to be asked)",
        );
      answers = withDefaults({ ...args.given, directory: args.given.directory });
    }
    const files = scaffold(answers, { cwd });
    const dir = relative(cwd, resolve(cwd, answers.directory)) || ".";
    const next = [
      `cd ${dir.includes(" ") ? JSON.stringify(dir) : dir}`,
      "npm install",
      "npm test",
      "git init && git add -A && git commit -m 'Scaffold'",
    ];
    if (interactive) {
      p.note(next.join("\n"), "Next steps");
      p.outro(`Created ${answers.name} (kind ${answers.kind}) in ${dir}`);
    } else {
      log(
        `Created ${answers.name} (kind ${answers.kind}, ${answers.storage}) in ${dir}: ${files.length} files`,
      );
      log(`Next steps:\n  ${next.join("\n  ")}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof Cancelled) {
      p.cancel("Cancelled; nothing was written.");
      return 1;
    }
    if (err instanceof ScaffoldError) {
      console.error(err.issues.map((i) => `create-memdesc-plugin: ${issueLine(i)}`).join("\n"));
      return 1;
    }
    throw err;
  }
}
