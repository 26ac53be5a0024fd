import { type RefObject, useEffect } from "react";

/** What scrolls on its own in the views: wide tables, pahole's printouts, the word's bits. */
const SCROLLERS = ".table-scroll, pre, .bit-rows";

/**
 * A name for a scroll area, unique on the page (each is a landmark a screen reader lists): its table's caption,
 * or what it is in the section it sits in (`Today: struct folio: table`).
 */
function nameOf(el: HTMLElement, taken: Set<string>): string {
  const caption = el.querySelector("caption")?.textContent?.trim();
  const what = el.tagName === "PRE" ? "printout" : el.classList.contains("bit-rows") ? "bits" : "table";
  const section = el.closest<HTMLElement>("section[aria-label], section[aria-labelledby], figure, details");
  const where =
    section?.getAttribute("aria-label") ??
    (section?.getAttribute("aria-labelledby")
      ? document.getElementById(section.getAttribute("aria-labelledby")!)?.textContent?.trim()
      : section?.querySelector("summary, h2, h3, h4")?.textContent?.trim());
  const base = caption ?? (where ? `${where}: ${what}` : what);
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base} (${i})`;
  taken.add(name);
  return name;
}

function update(el: HTMLElement, taken: Set<string>): void {
  const scrolls = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
  if (scrolls && el.tabIndex < 0) {
    el.tabIndex = 0;
    if (!el.getAttribute("role") && el.tagName !== "PRE") el.setAttribute("role", "region");
    if (el.dataset.scrollFocus === undefined) el.setAttribute("aria-label", nameOf(el, taken));
    el.dataset.scrollFocus = "";
  } else if (!scrolls && el.dataset.scrollFocus !== undefined) {
    el.removeAttribute("tabindex");
    el.removeAttribute("aria-label");
    if (el.getAttribute("role") === "region") el.removeAttribute("role");
    delete el.dataset.scrollFocus;
  } else if (el.dataset.scrollFocus !== undefined) taken.add(el.getAttribute("aria-label") ?? "");
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
    // The names already given, so a new one differs from them.
    const names = () =>
      new Set(
        [...el.querySelectorAll<HTMLElement>("[data-scroll-focus]")].map(
          (e) => e.getAttribute("aria-label") ?? "",
        ),
      );
    const resize =
      typeof ResizeObserver === "undefined"
        ? undefined
        : new ResizeObserver((entries) => {
            const taken = names();
            for (const e of entries) update(e.target as HTMLElement, taken);
          });
    let watched = new Set<Element>();
    let frame = 0;
    const scan = () => {
      frame = 0;
      const now = new Set<Element>();
      const taken = names();
      for (const s of el.querySelectorAll<HTMLElement>(SCROLLERS)) {
        now.add(s);
        update(s, taken);
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
