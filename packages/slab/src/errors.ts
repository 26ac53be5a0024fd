import { MemdescError } from "@memdesc/core";

/** A slab question with no answer: bad options, a cache SLUB cannot lay out, or an unreadable slabinfo. */
export class SlabError extends MemdescError {
  constructor(
    code: "BAD_SLUB_PARAMS" | "BAD_CACHE" | "NO_ORDER" | "BAD_SLABINFO" | "BAD_SNAPSHOT",
    message: string,
  ) {
    super(code, message);
  }
}
