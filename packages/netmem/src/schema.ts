import { PAGE_SIZE } from "@memdesc/core";
import { z } from "zod";
import { netIovTypes } from "./layout.js";
import { isPagePoolMagic, PP_SIGNATURE } from "./pp.js";

const U64 = (1n << 64n) - 1n;

/** A 64-bit unsigned value, given as a bigint or a safe integer; read as a bigint. */
const u64 = (name: string) =>
  z
    .union([z.bigint(), z.number().int()], { error: `${name} must be a bigint or a whole number` })
    .transform((v) => BigInt(v))
    .refine((v) => v >= 0n && v <= U64, {
      error: `${name} must fit an unsigned long (0..2^64-1)`,
      abort: true,
    });

const hex = (v: unknown) => (typeof v === "bigint" ? `0x${v.toString(16)}` : String(v));

/**
 * The field values of one netmem (a page_pool page's netmem_desc, or a net_iov):
 *
 * - `ppMagic`: must carry PP_SIGNATURE once the DMA index and the two low bits are masked off
 *   (`netmem_is_pp()`).
 * - `dmaAddr`: page_pool maps whole pages, and a net_iov is a page of its area, so it is PAGE_SIZE-aligned.
 * - `ppRefCount`: page_pool's fragment count, never negative.
 * - `type` (net_iov only): NET_IOV_DMABUF (devmem TCP) or NET_IOV_IOURING (io_uring zero-copy receive).
 */
export const netmemValueSchema = z
  .object({
    ppMagic: u64("ppMagic").refine(isPagePoolMagic, {
      error: (issue) =>
        `pp_magic ${hex(issue.input)} does not carry PP_SIGNATURE (0x${PP_SIGNATURE.toString(16)}) under PP_MAGIC_MASK: not a page_pool netmem`,
    }),
    dmaAddr: u64("dmaAddr").refine((v) => v % BigInt(PAGE_SIZE) === 0n, {
      error: (issue) =>
        `dma_addr ${hex(issue.input)} is not PAGE_SIZE-aligned: page_pool maps whole pages (and a net_iov is one page of its area)`,
    }),
    ppRefCount: z
      .number({ error: "ppRefCount must be a number" })
      .int("pp_ref_count is a whole count")
      .min(0, "pp_ref_count cannot be negative"),
    type: z
      .enum(Object.keys(netIovTypes) as [keyof typeof netIovTypes, ...(keyof typeof netIovTypes)[]], {
        error: `type is a net_iov_type: ${Object.keys(netIovTypes).join(" or ")}`,
      })
      .optional(),
  })
  .strict();

export type NetmemValue = z.output<typeof netmemValueSchema>;
