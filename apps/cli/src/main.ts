import { readFileSync } from "node:fs";
import { builtinDesignNames, defaultDesignName } from "@memdesc/core/design-names";
import { defaultSampleName, samples } from "@memdesc/kpageflags/samples";
import { Command, CommanderError, Option } from "commander";
import { makeContext } from "./context.js";
import { CheckFailed, reportError, UserError } from "./errors.js";
import { stdoutError, writeStdout } from "./io/stdout.js";

/*
 * The memdesc command line. Only commander, core's list of design names and kpageflags' list of samples (small
 * modules, for --help) are loaded up front: each command's module (and with it @memdesc/core, zod, the plugins,
 * btf or kpageflags) is imported when that command runs, so `memdesc --version` and `--help` start as fast as
 * node itself.
 */

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

type Opts = Record<string, unknown>;
type CommandModule = {
  default: (ctx: ReturnType<typeof makeContext>, opts: Opts, ...args: string[]) => Promise<void>;
};

const example = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;

const program = new Command("memdesc")
  .description(
    "Linux memory descriptors: bill a machine's page map under every memdesc design, check descriptor plugins against the kernel's BTF, and print pahole-style layouts.",
  )
  .version(version, "-V, --version", "print the version")
  .helpOption("-h, --help", "show help")
  .option("--debug", "on an error, print the stack trace too")
  .option("--no-color", "never colour the output (also: NO_COLOR=1)")
  .showSuggestionAfterError(true)
  .configureHelp({ showGlobalOptions: true })
  .addHelpText(
    "after",
    `${example("memdesc survey", "memdesc layout folio --compare", "memdesc check --btf vmlinux.btf")}
Exit status: 0 success, 1 user error or failed check, 2 internal error.
Config: memdesc.config.{js,mjs,ts,json}, found upward from the working directory to the project root and
loaded only if no one but you or root could have written it (or --config FILE; --no-config for none).
Output: -o FILE writes the report there, complete or not at all (- is standard output).
`,
  );

/**
 * Registers a command whose implementation is loaded on first use from `commands/<file>.js`. A command that
 * prints a report takes `-o FILE` (`report: true`): the report is written there, complete or not at all.
 */
function lazy(cmd: Command, file: string, options: { report?: boolean } = {}): Command {
  if (options.report) cmd.addOption(outputOption());
  return cmd.action(async (...args: unknown[]) => {
    const self = args[args.length - 1] as Command;
    const opts = self.optsWithGlobals() as Opts;
    const positional = args.slice(0, -2) as string[];
    const { openReport } = await import("./io/report.js");
    const sink = openReport(options.report ? (opts.output as string | undefined) : undefined, process.cwd());
    const ctx = makeContext({
      json: opts.json === true,
      debug: opts.debug === true,
      color: opts.color !== false,
      sink,
    });
    try {
      const mod = (await import(`./commands/${file}.js`)) as CommandModule;
      await mod.default(ctx, opts, ...positional);
    } catch (err) {
      // A failed check has printed its report, which is output like any other.
      if (err instanceof CheckFailed) sink.finish();
      else sink.abort();
      throw err;
    }
    sink.finish();
  });
}

/**
 * Each command's definition, run only for the command on the command line (all of them for help, an unknown
 * name or none): commander builds every option and help text it is given, and a command needs only its own.
 */
const definitions = new Map<string, () => void>();
/** Defines command `name` as `build` makes it, run from `commands/<name>.js` (see {@link lazy}). */
const command = (name: string, build: (cmd: Command) => Command, options: { report?: boolean } = {}) =>
  definitions.set(name, () => lazy(build(program.command(name)), name, options));

const configOption = () =>
  new Option(
    "-c, --config <file>",
    "config file, trusted as given (default: memdesc.config.* found upward to the project root)",
  );
const noConfigOption = () => new Option("--no-config", "use no config file: the first-party descriptor set");
const outputOption = () =>
  new Option(
    "-o, --output <file>",
    "write the report to FILE (- for standard output); it appears complete or not at all",
  );
const designOption = (what: string) => new Option("-d, --design <name>", what).choices(builtinDesignNames);
const hvoOption = (what: string) =>
  new Option("--hvo <on|off>", `the HugeTLB vmemmap optimisation on the billed machine (${what})`).choices([
    "on",
    "off",
  ]);
const jsonOption = () =>
  new Option("--json", "print JSON (schema: schemas/<command>.schema.json in the package)");

command(
  "survey",
  (cmd) =>
    cmd
      .summary("bill this machine's page map under every design (the main job)")
      .description(
        "Survey this machine's page map (/proc/kpageflags, root only) and the kernel's counters (/proc/vmstat, zoneinfo, buddyinfo, slabinfo, the hugetlb and THP counters), a snapshot, a copy of another machine's /proc and /sys, or a raw dump, and print what per-page metadata costs under today's 64-byte struct page and each memdesc design, per use, with the arithmetic. Uses kpageflags cannot see (IOMMU page tables, zsmalloc, large kmalloc, per-CPU free pages) are attributed from the counters that count them, and the page map is checked against the counters. Where /proc/kpageflags cannot be read, the sample snapshot shipped with memdesc is surveyed instead only with --sample or on a terminal (a line says so); otherwise that is an error, so a script never records the sample as this machine.",
      )
      .addOption(
        new Option("-s, --snapshot <file>", "survey a snapshot made by `memdesc capture`").conflicts("raw"),
      )
      .addOption(new Option("-r, --raw <file>", "survey a raw dump (sudo cat /proc/kpageflags > file)"))
      .option(
        "--root <dir|archive>",
        "read another machine's /proc and /sys: a capture archive (.tar.gz) made by `memdesc capture-script`, or a directory (the archive unpacked, or a copy made with cat)",
      )
      .addOption(
        new Option("--by <what>", "also bill each NUMA node, zone or memory cgroup").choices([
          "node",
          "zone",
          "cgroup",
        ]),
      )
      .option("--iomem <file>", "with --raw: a saved /proc/iomem, to tell holes from RAM")
      .option("--start-pfn <pfn>", "with --raw: the PFN of the dump's first word (decimal or 0x hex)")
      .option(
        "--sample [name]",
        `survey a sample snapshot shipped with memdesc: ${samples.map((x) => x.name).join(", ")} (default ${defaultSampleName})`,
      )
      .addOption(
        hvoOption("default: read from /proc/sys/vm/hugetlb_optimize_vmemmap in a live survey, else off"),
      )
      .addOption(
        designOption(`the design whose saving is shown (default: the config's, else ${defaultDesignName})`),
      )
      .addOption(configOption())
      .addOption(noConfigOption())
      .addOption(
        new Option(
          "-f, --format <format>",
          "table (default); json (the --json document); ndjson or parquet (one row per use × design, with the host's identity); openmetrics (for node_exporter's textfile collector)",
        ).choices(["table", "json", "ndjson", "parquet", "openmetrics"]),
      )
      .addOption(jsonOption())
      .option(
        "-l, --label <key=value>",
        "a label the output carries (team=storage); over a capture's own labels",
        (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
      )
      .addHelpText(
        "after",
        example(
          "sudo memdesc survey",
          "sudo memdesc survey --by cgroup",
          "memdesc survey --snapshot db-host.mdsnap --json > bill.json",
          "memdesc survey --root db-host.tar.gz --by node",
          "memdesc survey --raw kpageflags.bin --iomem iomem.txt",
          "sudo memdesc survey --format openmetrics -o /var/lib/node_exporter/textfile_collector/memdesc.prom",
          "sudo memdesc survey --format parquet --label team=storage -o $(hostname).parquet",
          `memdesc survey --sample ${samples[samples.length - 1]!.name}`,
        ),
      ),
  { report: true },
);

command(
  "fleet",
  (cmd) =>
    cmd
      .argument(
        "<inputs...>",
        "snapshots, capture archives, survey JSON/NDJSON/Parquet files, or directories of them",
      )
      .summary("a fleet's bills: totals per design and the saving per host, asked of DuckDB in SQL")
      .description(
        "Read many hosts' bills — snapshots and capture archives (surveyed here, with the composed descriptor set), `memdesc survey --format json|ndjson|parquet` output, or directories of them — write them as Parquet and ask DuckDB (the optional peer @duckdb/node-api) in SQL: the total per-page metadata per design across the fleet, and the distribution of the saving per host (min, p10, p50, p90, max; bytes and % of RAM), grouped by kernel release, architecture, RAM size class or any label. Each host counts once (its latest capture). A bad input is named on stderr, skipped and counted; the exit status is then 1 unless --skip-bad. The SQL is in docs/fleet.md, and runs as it is on DuckDB, Spark SQL and Trino.",
      )
      .option(
        "--by <groups>",
        "group by kernel, arch, ram (RAM size class) or a label key; several with commas",
      )
      .addOption(designOption("the design whose saving is shown (default: the config's, else memdesc-8)"))
      .addOption(hvoOption("for snapshots and archives; default: as each one read it"))
      .addOption(configOption())
      .addOption(noConfigOption())
      .addOption(
        new Option(
          "-f, --format <format>",
          "table (default), json, or parquet (one row per host × design)",
        ).choices(["table", "json", "parquet"]),
      )
      .addOption(jsonOption())
      .option(
        "--save <dir>",
        "also write every input's bill rows there as Parquet, partitioned by capture date and host",
      )
      .option("--skip-bad", "exit 0 even when inputs were skipped (they are still named and counted)")
      .addHelpText(
        "after",
        example(
          "memdesc fleet captures/ --by kernel",
          "memdesc fleet surveys/*.parquet --by team --design memdesc-8",
          "memdesc fleet captures/ --format parquet -o fleet.parquet   # for the explorer's Fleet view",
          "memdesc fleet snapshots/ --save dataset/bills               # then query dataset/ with Spark or Trino",
        ),
      ),
  { report: true },
);

command(
  "capture-script",
  (cmd) =>
    cmd
      .summary("print a POSIX sh script that captures a machine without memdesc installed")
      .description(
        "Print the capture script: run as root on any Linux machine with only sh, cat/dd, tar and gzip, it copies /proc/kpageflags (with kpagecount, and with --cgroups kpagecgroup and the memory cgroup tree) and the counter files the survey reads into one .tar.gz, written atomically, with optional --label KEY=VALUE. `memdesc survey --root FILE` and `memdesc fleet` read the archive on any machine.",
      )
      .addHelpText(
        "after",
        example(
          "memdesc capture-script > capture.sh",
          "sudo sh capture.sh -o $(hostname).tar.gz --label team=storage",
          "memdesc survey --root $(hostname).tar.gz",
        ),
      ),
  { report: true },
);

command("capture", (cmd) =>
  cmd
    .summary("save this machine's page map to a snapshot file (root)")
    .description(
      "Read /proc/kpageflags with /proc/kpagecount and /proc/kpagecgroup in lockstep, and every counter file the survey reads, and write a compact snapshot (gzip-compressed) that `memdesc survey --snapshot` reads on any machine, giving the same answer the live survey gave. Needs root; the file appears complete or not at all.",
    )
    .requiredOption("-o, --output <file>", "the snapshot file to write (.mdsnap)")
    .option("--no-counts", "leave out /proc/kpagecount (mapcounts)")
    .option("--no-cgroups", "leave out /proc/kpagecgroup (memcg per page) and the cgroup tree")
    .option("--root <dir>", "capture DIR/proc/… and DIR/sys/… (a copy made with cat) instead of this machine")
    .option("--note <text>", "free text stored in the snapshot (what the machine was doing)")
    .option(
      "-l, --label <key=value>",
      "a label stored in the snapshot (team=storage), for memdesc fleet --by",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .addOption(jsonOption())
    .addHelpText(
      "after",
      example("sudo memdesc capture -o $(hostname).mdsnap --note 'postgres, 200 clients'"),
    ),
);

command(
  "layout",
  (cmd) =>
    cmd
      .argument("<name>", "a plugin kind (folio, slab, …), page, or with --btf any struct or union")
      .summary("pahole-style layout of a descriptor or any struct in a BTF file")
      .description(
        "Print a layout the way `pahole -C NAME` does: offsets, sizes, holes and cachelines. NAME is a plugin's kind (its descriptor in --design; `--design today` gives the overlay of struct page), `page` for struct page, or any struct or union in a BTF file (--btf, or /sys/kernel/btf/vmlinux when readable).",
      )
      .option(
        "--btf <file>",
        "read NAME from this kernel's BTF: a vmlinux or .ko (ELF), or raw BTF such as /sys/kernel/btf/vmlinux",
      )
      .option("--btf-base <file>", "the kernel BTF a module's split BTF builds on (as bpftool -B)")
      .option(
        "--vs <file>",
        "and from this kernel's BTF too: both side by side, with what moved, grew or appeared",
      )
      .addOption(
        designOption(
          `the design whose descriptor is shown (default: the config's, else ${defaultDesignName})`,
        ),
      )
      .option("--variant <name>", "only this variant of a descriptor that has several (folio: small, large)")
      .addOption(
        new Option("--abi <abi>", "C ABI for plugin layouts").choices(["lp64", "ilp32", "ilp32-arm"]),
      )
      .option("--compare", "today's layout and the memdesc-era one side by side")
      .addOption(configOption())
      .addOption(noConfigOption())
      .addOption(jsonOption())
      .addHelpText(
        "after",
        example(
          "memdesc layout folio",
          "memdesc layout slab --compare",
          "memdesc layout folio --design today --abi ilp32",
          "memdesc layout page --btf /sys/kernel/btf/vmlinux",
          "memdesc layout folio --btf ./vmlinux --vs /sys/kernel/btf/vmlinux",
          "memdesc layout zspage --btf zsmalloc.ko --btf-base ./vmlinux",
        ),
      ),
  { report: true },
);

command(
  "check",
  (cmd) =>
    cmd
      .summary("check every plugin's layout and overlay rules against the kernel's BTF")
      .description(
        "For each plugin, compare its layout of today's struct with the kernel's, field by field, and check its overlay rules (the kernel's *_MATCH asserts) against the kernel's struct page. With several --btf, print a plugin × kernel matrix (pass, drift, fail, absent) and each drifted field with both offsets. Exit status 1 if a rule fails or a field is at another offset than in the kernel.",
      )
      .option(
        "--btf <file...>",
        "the kernel's BTF (a vmlinux or .ko, or raw BTF); several: a plugin × kernel matrix",
        ["/sys/kernel/btf/vmlinux"],
      )
      .option("--btf-base <file>", "the kernel BTF that split BTF (a module's) builds on (as bpftool -B)")
      .addOption(configOption())
      .addOption(noConfigOption())
      .addOption(jsonOption())
      .addHelpText(
        "after",
        example(
          "memdesc check",
          "memdesc check --btf ./vmlinux-6.19.btf --config my-folio.config.mjs",
          "memdesc check --btf /sys/kernel/btf/vmlinux --btf build-arm64/vmlinux --btf build-6.1/vmlinux",
        ),
      ),
  { report: true },
);

command(
  "types",
  (cmd) =>
    cmd
      .summary("the memdesc word's bit layout and the type table of the composed set")
      .description(
        "Print how a design's memdesc word is laid out (type bits, descriptor pointer, inline fields) and which tag each kind of the composed descriptor set gets.",
      )
      .addOption(designOption(`the design (default: the config's, else ${defaultDesignName})`))
      .addOption(configOption())
      .addOption(noConfigOption())
      .addOption(jsonOption())
      .addHelpText("after", example("memdesc types", "memdesc types --design path-32 --json")),
  { report: true },
);

command(
  "bill",
  (cmd) =>
    cmd
      .argument("<picture>", "a JSON memory picture: pages and descriptors per use")
      .summary("bill a memory picture (counts per use) without a machine")
      .description(
        'Price a hand-written or saved memory picture under every design, as `survey` does for a machine. A picture is {"pageSize": 4096, "uses": {"file": {"pages": N, "descriptors": N, "orders": {"0": N}}, …}}; uses: free file anon ksm slab pagetable hugetlb iommu zsmalloc netmem reserved zero offline hwpoison compound kernel uninit hole.',
      )
      .addOption(
        designOption(`the design whose saving is shown (default: the config's, else ${defaultDesignName})`),
      )
      .addOption(hvoOption("default: the picture's hvo, else off"))
      .addOption(configOption())
      .addOption(noConfigOption())
      .addOption(jsonOption())
      .addHelpText(
        "after",
        example(
          "memdesc bill what-if.json",
          "memdesc survey --json | jq .picture > p.json && memdesc bill p.json",
        ),
      ),
  { report: true },
);

command(
  "plugins",
  (cmd) =>
    cmd
      .summary("list the composed descriptor set")
      .description(
        "List the descriptor plugins of the composed set: package, version, kind, tag and descriptor size per design. The set comes from memdesc.config.{js,mjs,ts,json}, found upward from the working directory or given with --config; without one, the first-party set is used.",
      )
      .addOption(
        designOption(`the design whose tags are shown (default: the config's, else ${defaultDesignName})`),
      )
      .addOption(configOption())
      .addOption(noConfigOption())
      .addOption(jsonOption())
      .addHelpText(
        "after",
        `${example("memdesc plugins", "memdesc plugins --config ./memdesc.config.mjs --json")}
A memdesc.config.json:
  {
    "design": "${defaultDesignName}",
    "plugins": ["@memdesc/folio", "@memdesc/slab", {"package": "@memdesc/ioptdesc", "options": {"model": "projection"}}]
  }
`,
      ),
  { report: true },
);

command(
  "simulate",
  (cmd) =>
    cmd
      .argument("<workload>", "a preset (desktop, database, hypervisor, accelerator) or a workload JSON file")
      .summary("run a workload on a simulated memmap and bill it over time")
      .description(
        "Simulate physical memory in the composed set's design: one memdesc word per page, a buddy allocator, descriptors in slab caches that host their own struct slab, RCU. A workload (a preset, or a JSON file of phases of page-cache, anon, hugetlb, slab, page-table and IOMMU allocations, reclaim and splits, deterministic from its seed) runs on it; the bill under every design after each phase, the final bill, /proc/buddyinfo and the descriptors' own slab memory are printed.",
      )
      .option("-m, --memory <size>", "RAM to simulate, e.g. 1G, 64G, 1T (default: the workload's)")
      .option("--nodes <n>", "NUMA nodes (default: the workload's)")
      .addOption(
        new Option(
          "--descriptor-free <how>",
          "how freed descriptors go back: typesafe-by-rcu (the kernel's SLAB_TYPESAFE_BY_RCU, reused at once) or kfree-rcu (each waits a grace period) (default: the workload's, else typesafe-by-rcu)",
        ).choices(["typesafe-by-rcu", "kfree-rcu"]),
      )
      .addOption(
        new Option(
          "--thp <on|off>",
          "CONFIG_TRANSPARENT_HUGEPAGE: order 9 on the per-CPU lists (default: on)",
        ).choices(["on", "off"]),
      )
      .addOption(hvoOption("default: the workload's, else off"))
      .addOption(designOption(`the design to simulate (default: the config's, else ${defaultDesignName})`))
      .addOption(configOption())
      .addOption(noConfigOption())
      .addOption(jsonOption())
      .addHelpText(
        "after",
        example(
          "memdesc simulate database --memory 64G",
          "memdesc simulate ./my-workload.json --json > run.json",
        ),
      ),
  { report: true },
);

command("explore", (cmd) =>
  cmd
    .summary("open the web explorer: words, layouts, bills and page maps in a browser")
    .description(
      "Serve the memdesc explorer, a web app that shows the memdesc word's bits, descriptor layouts, bills as the workload changes and a machine's page map, on 127.0.0.1 (a free port unless --port names one), and print its URL. It serves the app built into the installed @memdesc/explorer package: nothing is built at run time and nothing is fetched from the network. It opens on the sample snapshot; load your own snapshot or `memdesc survey --json` output in the page. Stop it with Ctrl-C.",
    )
    .option("-p, --port <port>", "the port to listen on (default: a free one)")
    .option("--open", "also open the URL in the desktop's browser")
    .addHelpText("after", example("memdesc explore", "memdesc explore --port 8080 --open")),
);

// Global options take no value, so the first word that is not an option names the command.
const invoked = definitions.get(process.argv.slice(2).find((a) => !a.startsWith("-")) ?? "");
if (invoked) invoked();
else for (const definition of definitions.values()) definition();

// Errors from argument parsing become one line and a hint, like every other user error.
const commandOf = new WeakMap<CommanderError, string>();
for (const cmd of [program, ...program.commands]) {
  // Help and version text go through the same writer as reports, so a full disk or a closed pipe behind
  // standard output ends the same way: quietly for a closed pipe, one line for anything else.
  cmd.configureOutput({ outputError: () => {}, writeOut: writeStdout });
  cmd.exitOverride((err) => {
    commandOf.set(err, cmd === program ? "" : cmd.name());
    throw err;
  });
}

process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  process.exit(reportError(stdoutError(err), false));
});

async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
      if (err.code === "commander.help") return err.exitCode;
      const name = commandOf.get(err);
      const message = err.message.replace(/^error: /, "");
      return reportError(new UserError(message, `see \`memdesc${name ? ` ${name}` : ""} --help\``), false);
    }
    return reportError(err, process.argv.includes("--debug"));
  }
}

void main().then((code) => {
  process.exitCode = code;
});
