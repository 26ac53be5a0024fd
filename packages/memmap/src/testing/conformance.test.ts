import { defineAction, defineDescriptor, defineSimulation } from "@memdesc/core";
import { ConformanceError, refFolio } from "@memdesc/core/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { widget } from "../../test/helpers.js";
import { simulationConformance } from "./conformance.js";

const failures = (checks: ReturnType<typeof simulationConformance>) =>
  checks.flatMap((c) => {
    try {
      c.run();
      return [];
    } catch (e) {
      expect(e).toBeInstanceOf(ConformanceError);
      return [{ name: c.name, issues: (e as ConformanceError).issues.map((i) => i.message) }];
    }
  });

describe("simulation conformance", () => {
  it("passes a plugin whose descriptors, split and action keep the memmap consistent", () => {
    const checks = simulationConformance(refFolio);
    expect(checks.map((c) => c.name)).toEqual([
      "allocates, initialises and frees its descriptors for each of its uses and orders",
    ]);
    expect(failures(checks)).toEqual([]);
    expect(failures(simulationConformance(widget))).toEqual([]);
  });

  it("catches an action whose pages reclaim cannot give back, and a split that covers the wrong pages", () => {
    const leaky = defineDescriptor({
      ...widget,
      simulation: defineSimulation({
        split: (_ctx, desc) => [desc],
        actions: [
          defineAction({
            name: "widgets",
            description: "widgets nobody tracks",
            use: "widget",
            schema: z.object({}).strict(),
            example: {},
            run: (ctx) => {
              ctx.alloc();
            },
          }),
        ],
      }),
    });
    expect(failures(simulationConformance(leaky))).toEqual([
      {
        name: "splits an allocation into pieces that cover its pages, or fails with nothing changed",
        issues: ["CONFORMANCE: split to order 0 gave 1 pieces, not 8"],
      },
      {
        name: "runs its widgets action's example, its pages counted as widget, and reclaim undoes it",
        issues: ["LEAK: 1 widget pages stayed after reclaim"],
      },
    ]);
  });
});
