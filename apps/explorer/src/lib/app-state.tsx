import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef, useState } from "react";
import { type AnyRegistry, defaultDesignName, designNames, firstPartyRegistry } from "./registry.js";

/** The views, in tab order. A new view is a row here and a component in App's table. */
export const views = [
  { id: "word", title: "Word", key: "1" },
  { id: "layouts", title: "Layouts", key: "2" },
  { id: "bill", title: "Bill", key: "3" },
  { id: "survey", title: "Survey", key: "4" },
  { id: "fleet", title: "Fleet", key: "5" },
] as const;

export type ViewId = (typeof views)[number]["id"];

/** A view's own state in the URL (`#bill?ram=64&file=45`): strings by key, each view parsing its own. */
export type ViewParams = Readonly<Record<string, string>>;

/**
 * Where the app is: the view, the design and the view's own parameters, all kept in the URL
 * (`#survey?design=path-32`, `#layouts?kind=slab`), so a link reproduces what was on the screen.
 */
export interface Route {
  readonly view: ViewId;
  readonly design: string;
  readonly params: ViewParams;
}

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#\/?/, "").split("?");
  const view = views.find((v) => v.id === path)?.id ?? "survey";
  const search = new URLSearchParams(query);
  const d = search.get("design");
  const design = d && (designNames as readonly string[]).includes(d) ? d : defaultDesignName;
  search.delete("design");
  return { view, design, params: Object.fromEntries(search) };
}

export function routeHash(r: Pick<Route, "view" | "design"> & { params?: ViewParams }): string {
  const search = new URLSearchParams();
  if (r.design !== defaultDesignName) search.set("design", r.design);
  for (const [k, v] of Object.entries(r.params ?? {})) if (v !== "") search.set(k, v);
  const q = search.toString();
  return `#${r.view}${q ? `?${q}` : ""}`;
}

interface AppState extends Route {
  /** The first-party registry under the chosen design: what every view shows and bills with. */
  readonly registry: AnyRegistry;
  /** Goes to a view, with its parameters if given (else the ones it had when last shown). */
  setView(view: ViewId, params?: ViewParams): void;
  setDesign(design: string): void;
  /** Changes the current view's parameters (a key set to "" is removed); the URL follows, in place. */
  setParams(patch: ViewParams): void;
}

const Ctx = createContext<AppState | undefined>(undefined);

/** The app's state: the route (view, design, the view's parameters) in the URL hash, and the registry it implies. */
export function AppStateProvider({ children }: { children: ReactNode }) {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  // Each view's parameters as it last had them, so going back to a view finds it as it was left.
  const remembered = useRef(new Map<ViewId, ViewParams>([[route.view, route.params]]));
  // The route as last set, for changes made several at a time before React renders again.
  const latest = useRef(route);
  useEffect(() => {
    const onHash = () => {
      const r = parseRoute(window.location.hash);
      remembered.current.set(r.view, r.params);
      latest.current = r;
      setRoute(r);
    };
    window.addEventListener("hashchange", onHash);
    window.addEventListener("popstate", onHash);
    return () => {
      window.removeEventListener("hashchange", onHash);
      window.removeEventListener("popstate", onHash);
    };
  }, []);
  const value = useMemo<AppState>(() => {
    // A new view is a history entry (Back returns to the last view); a new design or parameter replaces it.
    const go = (r: Route, push: boolean) => {
      remembered.current.set(r.view, r.params);
      latest.current = r;
      const hash = routeHash(r);
      if (window.location.hash !== hash) window.history[push ? "pushState" : "replaceState"](null, "", hash);
      setRoute(r);
    };
    return {
      ...route,
      registry: firstPartyRegistry(route.design),
      setView: (view, params) =>
        go(
          { ...latest.current, view, params: params ?? remembered.current.get(view) ?? {} },
          view !== latest.current.view,
        ),
      setDesign: (design) => go({ ...latest.current, design }, false),
      setParams: (patch) => {
        const params: Record<string, string> = { ...latest.current.params };
        for (const [k, v] of Object.entries(patch)) {
          if (v === "") delete params[k];
          else params[k] = v;
        }
        go({ ...latest.current, params }, false);
      },
    };
  }, [route]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAppState(): AppState {
  const s = useContext(Ctx);
  if (!s) throw new Error("useAppState outside AppStateProvider");
  return s;
}
