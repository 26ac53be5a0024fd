import { readFileSync } from "node:fs";
import { c, createRegistry, defineDescriptor, linux618, type MemberSpec, overlay } from "@memdesc/core";
import { folio } from "@memdesc/folio";
import { ioptdesc } from "@memdesc/ioptdesc";
import { netmem } from "@memdesc/netmem";
import { ptdesc } from "@memdesc/ptdesc";
import { slab } from "@memdesc/slab";
import { needs } from "@memdesc/testkit";
import { zpdesc } from "@memdesc/zpdesc";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { fixtureBtf, hasVmlinux, VMLINUX } from "../test/fixture.js";
import { checkPlugins } from "./plugin-check.js";
import { type Btf, readBtf } from "./reader.js";

const firstParty = () => [folio(), slab(), ptdesc(), ioptdesc(), zpdesc(), netmem()] as const;
// Read in each test, not when the file is collected, so StrykerJS attributes the reader to the tests (docs/mutation.md).
let fixture: Btf;
beforeEach(() => {
  fixture = readBtf(fixtureBtf(), { file: "linux-6.18-memdesc.btf" });
});

/** A user's ioptdesc written against the kernel, with one of three mistakes. */
const myIoptdesc = (members: readonly MemberSpec[]) =>
  defineDescriptor({
    name: "memdesc-plugin-my-ioptdesc",
    kind: "ioptdesc",
    title: "struct ioptdesc",
    today: c.struct("ioptdesc", members),
    memdesc: c.struct("ioptdesc_md", [["x", c.ulong]]),
    overlay: [
      overlay.set("IOPTDESC_MATCH", "page", [
        overlay.match("flags", "__page_flags"),
        overlay.match("lru", "iopt_freelist_elm"),
        overlay.match("private", "_private"),
      ]),
    ],
    schema: z.object({}),
  });
const members = (swap?: "private" | "rename"): readonly MemberSpec[] => [
  ["__page_flags", c.ulong],
  ["iopt_freelist_elm", c.listHead],
  ["__page_mapping", c.ulong],
  ...(swap === "private"
    ? ([
        ["_private", c.ptr()],
        ["__index", c.ulong],
      ] as const)
    : ([
        [swap === "rename" ? "index" : "__index", c.ulong],
        ["_private", c.ptr()],
      ] as const)),
  ["__page_type", c.uint],
  ["__page_refcount", c.atomic],
  ["memcg_data", c.ulong],
];

describe("checkPlugins against a kernel's BTF", () => {
  it("passes every first-party plugin against the shipped Linux 6.18 BTF, noting the vendor's buddy_since", () => {
    const registry = createRegistry({ plugins: firstParty(), abi: fixture.abi, config: linux618 });
    const result = checkPlugins(fixture, registry);
    expect(result.plugins.map((p) => [p.kind, p.failures])).toEqual([
      ["folio", 0],
      ["slab", 0],
      ["ptdesc", 0],
      ["ioptdesc", 0],
      ["zpdesc", 0],
      ["netmem", 0],
    ]);
    expect(result.ok).toBe(true);
    const folioCheck = result.plugins.find((p) => p.kind === "folio")!;
    expect(folioCheck.size).toEqual({ plugin: 256, kernel: 256 });
    // The measured kernel's vendor patch: a kernel-only field is a note, not a failure.
    expect(folioCheck.fields.filter((f) => f.status === "kernel-only").map((f) => f.path)).toEqual([
      "page.buddy_since",
      "__page_1.buddy_since",
      "__page_2.buddy_since",
      "__page_3.buddy_since",
    ]);
    expect(folioCheck.overlay.every((r) => r.status === "pass" || r.status === "skipped")).toBe(true);
  });

  it("tells a wrong offset apart from a renamed field, and both from a vendor-added one", () => {
    const check = (swap?: "private" | "rename") =>
      checkPlugins(
        fixture,
        createRegistry({ plugins: [myIoptdesc(members(swap))], abi: fixture.abi, config: linux618 }),
      ).plugins[0]!;
    expect(check().failures).toBe(0);

    const moved = check("private");
    expect(moved.fields.filter((f) => f.status !== "ok")).toEqual([
      {
        path: "__index",
        status: "wrong-offset",
        plugin: { offset: 40, size: 8, type: "long unsigned int" },
        kernel: { offset: 32, size: 8, type: "long unsigned int" },
      },
      {
        path: "_private",
        status: "wrong-offset",
        plugin: { offset: 32, size: 8, type: "void *" },
        kernel: { offset: 40, size: 8, type: "void *" },
      },
    ]);
    expect(moved.overlay.find((r) => r.status === "fail")!.message).toBe(
      "IOPTDESC_MATCH(private, _private): struct ioptdesc._private is at 32, but struct page.private puts it at 40",
    );
    expect(moved.failures).toBe(3);

    const renamed = check("rename");
    expect(renamed.fields.filter((f) => f.status !== "ok").map((f) => [f.path, f.status])).toEqual([
      ["__index", "kernel-only"],
      ["index", "plugin-only"],
    ]);
    expect(renamed.failures).toBe(1);
  });

  it("reports a struct the kernel does not have", () => {
    const ghost = defineDescriptor({
      ...myIoptdesc(members()),
      kind: "ghost",
      today: c.struct("ghostdesc", [["x", c.ulong]]),
      overlay: [],
    });
    const result = checkPlugins(fixture, createRegistry({ plugins: [ghost], abi: fixture.abi }));
    expect(result.plugins[0]).toMatchObject({
      struct: "ghostdesc",
      found: false,
      size: { plugin: 8, kernel: null },
    });
  });

  needs("kernel BTF", hasVmlinux ? undefined : `${VMLINUX} does not exist`).describe(
    "against the running kernel",
    () => {
      it("passes every first-party plugin", () => {
        const btf = readBtf(readFileSync(VMLINUX), { file: VMLINUX });
        const result = checkPlugins(
          btf,
          createRegistry({ plugins: firstParty(), abi: btf.abi, config: linux618 }),
        );
        const failing = result.plugins.flatMap((p) =>
          [
            ...p.fields.filter((f) => f.status !== "ok" && f.status !== "kernel-only"),
            ...p.overlay.filter((r) => r.status === "fail" || r.status === "missing"),
          ].map((x) => `${p.kind}: ${"path" in x ? `${x.path} ${x.status}` : x.message}`),
        );
        expect(failing).toEqual([]);
      });
    },
  );
});
