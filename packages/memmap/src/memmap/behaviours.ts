import type { SimulatedBehaviour } from "@memdesc/core";
import { inferred, KN_M, KN_P, kernel, knBuddyOption1, plan, proposal, RELEASE } from "@memdesc/core";
import type { Memmap } from "./memmap.js";

/** A behaviour the simulation models and who models it: core's memmap, or a plugin (by package name). */
export interface ReportedBehaviour extends SimulatedBehaviour {
  readonly by: string;
}

/**
 * What core's memmap simulator models, each with its source, for this memmap's design and options: the report
 * says which behaviours are the kernel's, which the plan's, which inferred and which this project's own.
 */
export function memmapBehaviours(m: Memmap): SimulatedBehaviour[] {
  const out: SimulatedBehaviour[] = [
    {
      name: "memdesc_alloc_node",
      what: "a descriptor is allocated first, then its pages, every page's word pointed at it; if either fails nothing stays allocated, and nothing is allocated on a free path",
      provenance: plan(
        "Gunthorpe, LKML <20250226135112.GB28425@nvidia.com>: memdesc_alloc_node(gfp, order, nid, size)",
        "2025-02-26",
        "never allocating on a free path is Wilcox's rule since his linux-mm design sketch of October 2021 (mail.spinics.net/lists/linux-mm/msg274271.html)",
      ),
    },
    {
      name: "descriptor slab caches",
      what: "one slab cache per descriptor kind and variant, objects rounded to 16 bytes, SLAB_TYPESAFE_BY_RCU",
      provenance: plan(
        KN_M,
        "current revision, read 2026-11",
        `and ${KN_P}: "a slab cache for each memdesc"`,
      ),
    },
    m.deferDescriptorFrees
      ? {
          name: "descriptor free: kfree_rcu",
          what: "a freed descriptor waits a grace period in the RCU ring before its cache may hand it out again (chosen with descriptorFree: kfree-rcu)",
          provenance: proposal(
            "an alternative to the kernel's SLAB_TYPESAFE_BY_RCU: every object is held a grace period, which costs memory",
          ),
        }
      : {
          name: "descriptor free: SLAB_TYPESAFE_BY_RCU",
          what: "kmem_cache_free() puts a descriptor back on its slab's freelist at once (reusable as another descriptor of its kind); only an emptied slab's pages wait a grace period",
          provenance: kernel(
            "include/linux/slab.h (SLAB_TYPESAFE_BY_RCU); mm/slub.c (rcu_free_slab)",
            RELEASE,
          ),
        },
    {
      name: "RCU page walkers",
      what: "a reader finds a page's descriptor under rcu_read_lock(), takes a reference (atomic_inc_not_zero) and revalidates it against the page's word and the descriptor's pfn; a reader that does not, when the descriptor was reused, is reported at rcu_read_unlock()",
      provenance: kernel(
        "include/linux/slab.h (SLAB_TYPESAFE_BY_RCU: 'an independent object validation pass')",
        RELEASE,
      ),
    },
    {
      name: "way back to memory",
      what: "every descriptor keeps the PFN of its memory in its own pfn field, which frees and lookups read",
      provenance: inferred(
        "a descriptor allocated apart from its memory needs the PFN to get back to it (slab_address(), ptdesc_address(), zpdesc_pfn()); the planned folio keeps pfn for this",
        "Memdescs/Path folio field list; kernel callers",
      ),
    },
    m.buddy.linked
      ? {
          name: "buddy allocator: struct buddy { next, prev }",
          what: "free lists linked through the 16-byte entries, the type in next's low 4 bits and the order in prev's; blocks on per-CPU lists point both links at their list's head",
          provenance: knBuddyOption1(
            "the per-CPU list marking is this project's reading: the page does not cover per-CPU lists",
          ),
        }
      : {
          name: "buddy allocator: the 8-byte word's encoding",
          what: "a free block's order, tail and per-CPU bits in the word and its slot in per-order free-list arrays outside the memmap (billed at 4 bytes a page)",
          provenance: proposal(
            "the plan says only 'embedded struct buddy'; one word has no room for list links, so the lists are arrays the word indexes",
          ),
        },
    {
      name: "per-CPU page lists",
      what: `per_cpu_pages for orders 0–3${m.thp ? " and 9 (THP)" : ""}: batch refills (rmqueue_bulk, nr_pcp_alloc), high tuned between high_min and high_max, bulk frees oldest first, vmstat's decay once a second`,
      provenance: kernel(
        "mm/page_alloc.c (pcp_allowed_order, nr_pcp_alloc, nr_pcp_high, decay_pcp_high)",
        RELEASE,
      ),
    },
    {
      name: "SLUB",
      what: "a CPU slab with a lockless freelist, partial lists, min_partial, deactivate_slab, kmem_cache_free_bulk's detached freelists; geometry from the slab plugin's calculate_sizes()",
      provenance: kernel("mm/slub.c", RELEASE),
    },
    {
      name: "struct slab bootstrap",
      what: "the struct-slab cache keeps each of its slabs' struct slab in the slab's own first object, so it never needs itself to grow",
      provenance: proposal(
        "the plan names bootstrapping the slab descriptor's own allocation as open; this is one answer",
      ),
    },
  ];
  return out;
}

/** Core's behaviours and every plugin's, labelled with who models them. */
export function simulatedBehaviours(m: Memmap): ReportedBehaviour[] {
  const out: ReportedBehaviour[] = memmapBehaviours(m).map((b) => ({ ...b, by: "@memdesc/memmap" }));
  const seen = new Set<string>();
  for (const p of m.registry.plugins) {
    for (const b of p.simulation?.behaviours ?? []) {
      const key = `${p.name}:${b.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...b, by: p.name });
    }
  }
  return out;
}
