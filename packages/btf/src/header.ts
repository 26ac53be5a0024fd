import { BtfError } from "./errors.js";

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** The header as Linux 4.18 defined it; newer kernels may append fields, so `hdrLen` can be larger. */
export const BASE_HEADER_LEN = 24;

/** `struct btf_header`, with section offsets made absolute (from the start of the file). */
export interface BtfHeader {
  readonly littleEndian: boolean;
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  /** `type_off` and `type_len`: relative to the end of the header, as stored. */
  readonly typeOff: number;
  readonly typeLen: number;
  readonly strOff: number;
  readonly strLen: number;
  /** Byte offsets in the file of the type and string sections. */
  readonly typeStart: number;
  readonly strStart: number;
}

/**
 * Reads and checks the header: the magic (whose byte order gives the file's), the version, and that `hdr_len`
 * and both sections lie inside the file. Header fields beyond the 24 bytes known here are skipped, because
 * `hdr_len` says where the sections start.
 */
export function parseHeader(bytes: Uint8Array, file?: string, start = 0, end = bytes.byteLength): BtfHeader {
  // Offsets within [start, end) are the blob's; the ones in errors and in the result are the file's, so a
  // .BTF section inside an ELF file is reported where it is.
  const length = end - start;
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, length);
  const what = start === 0 && end === bytes.byteLength ? "file" : "BTF section";
  const need = (n: number, field: string) => {
    if (length < n)
      throw new BtfError("BTF_TRUNCATED", `${what} is ${length} bytes, too short for the header's ${field}`, {
        offset: start + length,
        file,
      });
  };
  need(2, "magic");
  const raw = view.getUint16(0, true);
  let littleEndian: boolean;
  if (raw === BTF_MAGIC) littleEndian = true;
  else if (raw === 0x9feb) littleEndian = false;
  else
    throw new BtfError(
      "BTF_MAGIC",
      `bad magic 0x${raw.toString(16).padStart(4, "0")} (expected bytes 9f eb or eb 9f)`,
      { offset: start, file },
    );
  need(8, "hdr_len");
  const version = view.getUint8(2);
  const flags = view.getUint8(3);
  if (version !== BTF_VERSION)
    throw new BtfError("BTF_HEADER", `unsupported BTF version ${version} (expected 1)`, {
      offset: start + 2,
      file,
    });
  const hdrLen = view.getUint32(4, littleEndian);
  if (hdrLen < BASE_HEADER_LEN)
    throw new BtfError("BTF_HEADER", `hdr_len ${hdrLen} is shorter than the ${BASE_HEADER_LEN}-byte header`, {
      offset: start + 4,
      file,
    });
  if (hdrLen > length)
    throw new BtfError("BTF_HEADER", `hdr_len ${hdrLen} runs past the end of the ${length}-byte ${what}`, {
      offset: start + 4,
      file,
    });
  const typeOff = view.getUint32(8, littleEndian);
  const typeLen = view.getUint32(12, littleEndian);
  const strOff = view.getUint32(16, littleEndian);
  const strLen = view.getUint32(20, littleEndian);
  const body = length - hdrLen;
  const section = (name: string, off: number, len: number, at: number) => {
    if (off > body || len > body - off)
      throw new BtfError(
        "BTF_TRUNCATED",
        `${name} section [${off}, ${off + len}) after the header runs past the ${what}'s ${body} bytes of data`,
        { offset: start + at, file },
      );
  };
  section("type", typeOff, typeLen, 8);
  section("string", strOff, strLen, 16);
  if (typeOff % 4 !== 0)
    throw new BtfError("BTF_HEADER", `type_off ${typeOff} is not 4-byte aligned`, {
      offset: start + 8,
      file,
    });
  if (typeLen % 4 !== 0)
    throw new BtfError("BTF_HEADER", `type_len ${typeLen} is not a multiple of 4`, {
      offset: start + 12,
      file,
    });
  if (typeOff < strOff + strLen && strOff < typeOff + typeLen && typeLen > 0 && strLen > 0)
    throw new BtfError("BTF_HEADER", `type and string sections overlap`, { offset: start + 8, file });
  return {
    littleEndian,
    version,
    flags,
    hdrLen,
    typeOff,
    typeLen,
    strOff,
    strLen,
    typeStart: start + hdrLen + typeOff,
    strStart: start + hdrLen + strOff,
  };
}
