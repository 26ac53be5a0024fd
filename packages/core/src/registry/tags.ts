import type { Design } from "../design/schema.js";
import { MemdescError } from "../errors.js";
import { type AnyDescriptor, pluginLabel, preferredTag } from "../plugin/define.js";

/** Two plugins want one tag, a tag does not fit, or there are more kinds than the type bits allow. */
export class TagAssignmentError extends MemdescError {
  constructor(code: "TAG_CONFLICT" | "TAG_RANGE" | "TOO_MANY_KINDS", message: string) {
    super(code, message);
  }
}

/**
 * Gives every kind a type tag under a design: first the tags plugins ask for, then the tags the design's type
 * table sets aside for their kind, then the lowest tags nobody has a claim on. Designs without a word (today)
 * assign nothing. In the 32-byte design every tag whose low two bits are 0 reads as Buddy, so only buddy may
 * have one.
 */
export function assignTags(design: Design, plugins: readonly AnyDescriptor[]): Map<string, number> {
  const tags = new Map<string, number>();
  if (design.typeBits === 0) return tags;
  const limit = 2 ** design.typeBits;
  const owner = new Map<number, AnyDescriptor>();
  const aliasesBuddy = (t: number) => design.tagDecoding === "buddy-low2" && (t & 3) === 0;

  const take = (p: AnyDescriptor, t: number) => {
    owner.set(t, p);
    tags.set(p.kind, t);
  };

  for (const p of plugins) {
    const t = preferredTag(p, design.name);
    if (t === undefined) continue;
    if (t >= limit)
      throw new TagAssignmentError(
        "TAG_RANGE",
        `${pluginLabel(p)} (kind ${p.kind}) asks for tag ${t}, but design ${design.name} has ${design.typeBits} type bits (tags 0..${limit - 1})`,
      );
    const other = owner.get(t);
    if (other)
      throw new TagAssignmentError(
        "TAG_CONFLICT",
        `${pluginLabel(p)} (kind ${p.kind}) and ${pluginLabel(other)} (kind ${other.kind}) both want tag ${t} in design ${design.name}`,
      );
    if (aliasesBuddy(t) && p.kind !== "buddy")
      throw new TagAssignmentError(
        "TAG_CONFLICT",
        `${pluginLabel(p)} (kind ${p.kind}) asks for tag ${t}, which reads as Buddy in design ${design.name} (low two bits 00)`,
      );
    take(p, t);
  }

  const reserved = new Map<number, string | undefined>(design.typeTable.map((e) => [e.tag, e.kind]));
  for (const p of plugins) {
    if (tags.has(p.kind)) continue;
    const row = design.typeTable.find((e) => e.kind === p.kind && !owner.has(e.tag));
    if (row) take(p, row.tag);
  }

  const unplaced: AnyDescriptor[] = [];
  for (const p of plugins) {
    if (tags.has(p.kind)) continue;
    let t = -1;
    for (let c = 0; c < limit && t < 0; c++) if (!owner.has(c) && !reserved.has(c) && !aliasesBuddy(c)) t = c;
    // Every unreserved tag is gone: borrow one the table sets aside for a kind nobody registered.
    for (let c = 0; c < limit && t < 0; c++) {
      const kind = reserved.get(c);
      if (!owner.has(c) && !aliasesBuddy(c) && !plugins.some((q) => q.kind === kind)) t = c;
    }
    if (t < 0) unplaced.push(p);
    else take(p, t);
  }
  if (unplaced.length > 0)
    throw new TagAssignmentError(
      "TOO_MANY_KINDS",
      `design ${design.name} has ${design.typeBits} type bits (${limit} tags) and no tag is left for ${unplaced
        .map((p) => `${p.kind} (${pluginLabel(p)})`)
        .join(", ")}; ${tags.size} kinds already hold tags`,
    );
  return tags;
}
