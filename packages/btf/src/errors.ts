import { MemdescError } from "@memdesc/core/layout";

export type BtfErrorCode =
  | "BTF_TRUNCATED"
  | "BTF_MAGIC"
  | "BTF_HEADER"
  | "BTF_KIND"
  | "BTF_STRING"
  | "BTF_TYPE_ID"
  | "BTF_CYCLE"
  | "BTF_SIZE"
  | "BTF_NOT_A_TYPE"
  | "BTF_NOT_FOUND"
  | "BTF_WRITE"
  | "BTF_ELF"
  | "BTF_NO_BTF"
  | "BTF_SPLIT"
  | "BTF_FORMAT";

export interface BtfErrorSite {
  /** Byte offset in the BTF file of the record or field at fault. */
  readonly offset?: number | undefined;
  /** The type id whose record is at fault. */
  readonly typeId?: number | undefined;
  /** The file the bytes came from, when the caller named it. */
  readonly file?: string | undefined;
}

/**
 * The one error this package throws for bad BTF (or a bad request of good BTF). The message names the file,
 * the byte offset and the type id, so a CLI can print it as a single line.
 */
export class BtfError extends MemdescError {
  override readonly code: BtfErrorCode;
  readonly offset: number | undefined;
  readonly typeId: number | undefined;
  readonly file: string | undefined;
  readonly detail: string;

  constructor(code: BtfErrorCode, detail: string, site: BtfErrorSite = {}) {
    const where: string[] = [];
    if (site.typeId !== undefined) where.push(`type id ${site.typeId}`);
    if (site.offset !== undefined) where.push(`byte offset ${site.offset}`);
    super(code, {
      subject: site.file ?? "BTF",
      issues: [{ path: [], message: `${detail}${where.length ? ` (${where.join(", ")})` : ""}` }],
    });
    this.code = code;
    this.offset = site.offset;
    this.typeId = site.typeId;
    this.file = site.file;
    this.detail = detail;
  }
}
