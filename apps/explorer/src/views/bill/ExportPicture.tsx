import type { PictureInput } from "@memdesc/core";
import { firstPartySet } from "@memdesc/first-party";

/** A file name from a picture's name: `pagecache-picture.json`. */
export const fileStem = (name: string) =>
  name
    .replace(/\.[a-z0-9]+$/i, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^-+|-+$/g, "") || "memdesc";

/**
 * The config that gives `memdesc bill` the what-if's registry: the first-party set, in the order `memdesc`
 * composes it, with every memdesc-era folio (struct folio and struct anon_folio) grown by `growth` bytes (a
 * `u8[growth]` member appended, as the explorer's `mixRegistry` does), and the chosen design.
 */
export function whatIfConfig(growth: number, design: string): object {
  const plugins = firstPartySet.map((e) => {
    // A package named alone gives its one plugin; one that gives two (folio and anon_folio) is named with the export.
    const shared = firstPartySet.filter((o) => o.package === e.package).length > 1;
    const grown = e.package === "@memdesc/folio" && growth > 0;
    if (!shared && !grown) return e.package;
    return {
      package: e.package,
      ...(shared ? { export: e.export } : {}),
      ...(grown ? { options: { extraFields: [["_grow", `u8[${growth}]`]] } } : {}),
    };
  });
  return { design, plugins };
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * The picture on screen as the JSON `memdesc bill` reads, and (when struct folio grows, which is the folio
 * plugin's option, not the picture's) the config that reproduces the registry, with the command to run.
 */
export function ExportPicture(props: {
  picture: PictureInput;
  name: string;
  folioGrowth: number;
  design: string;
}) {
  const stem = fileStem(props.name);
  const pictureFile = `${stem}-picture.json`;
  const configFile = "memdesc.config.json";
  const needsConfig = props.folioGrowth > 0;
  const command = `memdesc bill ${pictureFile}${needsConfig ? ` --config ${configFile}` : props.design !== "memdesc-8" ? ` --design ${props.design}` : ""}`;
  return (
    <div className="export" data-testid="export">
      <button
        type="button"
        data-testid="export-picture"
        onClick={() => download(pictureFile, `${JSON.stringify(props.picture, null, 2)}\n`)}
      >
        Download the picture ({pictureFile})
      </button>
      {needsConfig && (
        <button
          type="button"
          data-testid="export-config"
          onClick={() =>
            download(
              configFile,
              `${JSON.stringify(whatIfConfig(props.folioGrowth, props.design), null, 2)}\n`,
            )
          }
        >
          Download the config ({configFile})
        </button>
      )}
      <p className="hint">
        then <code data-testid="export-command">{command}</code> prints the same bill
        {needsConfig
          ? ": struct folio's growth is an option of the folio plugin, so it travels in the config"
          : ""}
        .
      </p>
    </div>
  );
}
