import type { AnyDescriptor, Registry, WorkloadActionDefinition } from "@memdesc/core";
import { MemmapError } from "../errors.js";
import { builtinActionNames, type WorkloadVocabulary } from "./schema.js";

/** A workload action a composed plugin provides, and the kind that carries it out. */
export interface ProvidedAction {
  readonly kind: string;
  readonly plugin: string;
  readonly definition: WorkloadActionDefinition;
}

/**
 * The workload actions a registry's plugins provide, by name. An action named like a built-in one, or provided by
 * two plugins, is an ACTION_CONFLICT: a workload could not say which it means. One plugin's hooks serving several
 * kinds (folio and anon) provide their actions once, through the first.
 */
export function providedActions<Ps extends readonly AnyDescriptor[]>(
  registry: Registry<Ps>,
): Map<string, ProvidedAction> {
  const out = new Map<string, ProvidedAction>();
  for (const p of registry.plugins)
    for (const definition of p.simulation?.actions ?? []) {
      const other = out.get(definition.name);
      if (other?.definition === definition) continue;
      if (builtinActionNames.includes(definition.name) || other)
        throw new MemmapError("ACTION_CONFLICT", {
          subject: `plugin "${p.name}" (kind ${p.kind})`,
          issues: [
            {
              path: ["simulation", "actions", definition.name],
              message: other
                ? `plugin "${other.plugin}" (kind ${other.kind}) provides a workload action of this name too`
                : "a built-in workload action has this name",
            },
          ],
        });
      out.set(definition.name, { kind: p.kind, plugin: p.name, definition });
    }
  return out;
}

/** What a workload may name under a registry: the built-in actions, its plugins' actions, and its uses. */
export function vocabularyOf<Ps extends readonly AnyDescriptor[]>(
  registry: Registry<Ps>,
): WorkloadVocabulary {
  return {
    actions: [...providedActions(registry).values()].map((a) => a.definition),
    uses: registry.uses,
  };
}
