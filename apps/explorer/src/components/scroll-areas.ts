import { type RefObject, useEffect } from "react";

/** What scrolls on its own in the views: wide tables, pahole's printouts, the word's bits. */
const SCROLLERS = ".table-scroll, pre, .bit-rows";

/** A name for a scroll area: its table's caption, its first heading, or what it is. */
function nameOf(el: HTMLElement): string {
  const caption = el.querySelector("caption")?.textContent?.trim();
  if (caption) return caption;
  if (el.tagName === "PRE") return "printout";
  return el.getAttribute("aria-label") ?? "scrollable table";
}

function update(el: HTMLElement): void {
  const scrolls = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
  if (scrolls && el.tabIndex < 0) {
    el.tabIndex = 0;
    if (!el.getAttribute("role") && el.tagName !== "PRE") el.setAttribute("role", "region");
    if (!el.getAttribute("aria-label")) el.setAttribute("aria-label", nameOf(el));
    el.dataset.scrollFocus = "";
  } else if (!scrolls && el.dataset.scrollFocus !== undefined) {
    el.removeAttribute("tabindex");
    delete el.dataset.scrollFocus;
  }
}

/**
 * Every area that scrolls sideways (or down) inside `root` can be reached with Tab and scrolled with the arrow
 * keys, as WCAG asks of scrollable regions: whichever view made it, now or later, it gets `tabindex="0"` and a
 * name (its caption) while it overflows, and loses the tab stop when it no longer does.
 */
export function useFocusableScrollAreas(root: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const el = root.current;
    if (!el || typeof MutationObserver === "undefined") return;
    const resize =
      typeof ResizeObserver === "undefined"
        ? undefined
        : new ResizeObserver((entries) => {
            for (const e of entries) update(e.target as HTMLElement);
          });
    let watched = new Set<Element>();
    let frame = 0;
    const scan = () => {
      frame = 0;
      const now = new Set<Element>();
      for (const s of el.querySelectorAll<HTMLElement>(SCROLLERS)) {
        now.add(s);
        update(s);
        if (!watched.has(s)) resize?.observe(s);
      }
      for (const s of watched) if (!now.has(s)) resize?.unobserve(s);
      watched = now;
    };
    scan();
    // Views re-render often (a slider, the page map's pointer): look again once per frame at most.
    const mo = new MutationObserver(() => {
      if (!frame) frame = requestAnimationFrame(scan);
    });
    mo.observe(el, { childList: true, subtree: true });
    return () => {
      cancelAnimationFrame(frame);
      mo.disconnect();
      resize?.disconnect();
    };
  }, [root]);
}
