import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from "react";
import { type AnyRegistry, defaultDesignName, designNames, firstPartyRegistry } from "./registry.js";

/** The views, in tab order. */
export const views = [
  { id: "word", title: "Word", key: "1" },
  { id: "layouts", title: "Layouts", key: "2" },
  { id: "bill", title: "Bill", key: "3" },
  { id: "survey", title: "Survey", key: "4" },
  { id: "fleet", title: "Fleet", key: "5" },
] as const;

export type ViewId = (typeof views)[number]["id"];

/** Where the app is: the view and the design, both kept in the URL (`#survey?design=path-32`). */
export interface Route {
  readonly view: ViewId;
  readonly design: string;
}

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#\/?/, "").split("?");
  const view = views.find((v) => v.id === path)?.id ?? "survey";
  const d = new URLSearchParams(query).get("design");
  const design = d && (designNames as readonly string[]).includes(d) ? d : defaultDesignName;
  return { view, design };
}

export function routeHash(r: Route): string {
  return `#${r.view}${r.design === defaultDesignName ? "" : `?design=${r.design}`}`;
}

interface AppState extends Route {
  /** The first-party registry under the chosen design: what every view shows and bills with. */
  readonly registry: AnyRegistry;
  setView(view: ViewId): void;
  setDesign(design: string): void;
}

const Ctx = createContext<AppState | undefined>(undefined);

/** The app's state: the route (view and design) in the URL hash, and the registry it implies. */
export function AppStateProvider({ children }: { children: ReactNode }) {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onHash);
    window.addEventListener("popstate", onHash);
    return () => {
      window.removeEventListener("hashchange", onHash);
      window.removeEventListener("popstate", onHash);
    };
  }, []);
  const value = useMemo<AppState>(() => {
    // A new view is a history entry (Back returns to the last view); a new design replaces the entry.
    const go = (r: Route, push: boolean) => {
      const hash = routeHash(r);
      if (window.location.hash !== hash) window.history[push ? "pushState" : "replaceState"](null, "", hash);
      setRoute(r);
    };
    return {
      ...route,
      registry: firstPartyRegistry(route.design),
      setView: (view) => go({ ...route, view }, view !== route.view),
      setDesign: (design) => go({ ...route, design }, false),
    };
  }, [route]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAppState(): AppState {
  const s = useContext(Ctx);
  if (!s) throw new Error("useAppState outside AppStateProvider");
  return s;
}
