import { MemdescError } from "@memdesc/core";

/** A folio question with no answer: an order or page count that no folio has, or a field struct folio lacks. */
export class FolioError extends MemdescError {
  constructor(code: "BAD_ORDER" | "BAD_NR_PAGES" | "UNKNOWN_FIELD", message: string) {
    super(code, message);
  }
}
