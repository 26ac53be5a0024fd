import { describe, expect, it } from "vitest";
import { implicitBase } from "./btf.js";

describe("implicitBase", () => {
  it("reads the running kernel's modules on its vmlinux, as bpftool does, and nothing else", () => {
    expect(implicitBase("/sys/kernel/btf/kvm")).toBe("/sys/kernel/btf/vmlinux");
    expect(implicitBase("/sys/kernel/btf/zsmalloc")).toBe("/sys/kernel/btf/vmlinux");
    expect(implicitBase("/sys/kernel/btf/vmlinux")).toBeUndefined();
    expect(implicitBase("/tmp/kvm")).toBeUndefined();
    expect(implicitBase("/sys/kernel/btf/sub/kvm")).toBeUndefined();
  });
});
