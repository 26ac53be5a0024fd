import { fileURLToPath } from "node:url";

/**
 * The folder of the built explorer (index.html and assets/), inside this installed package: what
 * `memdesc explore` serves. It exists once the package is built (`npm run build -w @memdesc/explorer`) and in
 * every published copy.
 */
export const appDir: string = fileURLToPath(new URL("../app/", import.meta.url));

/** The page to open. */
export const appIndex = "index.html";
