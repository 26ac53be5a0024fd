/** `packages/testkit/reference`: measured kernel outputs the tests compare with (see its README for provenance). */
export declare const referenceDir: string;
/** A reference file's text, by its path under `packages/testkit/reference`. */
export declare function readReference(relative: string): string;
/** The shipped `pahole -C NAME` output of Linux 6.18 x86-64: `paholeReference("pahole_page.txt")`. */
export declare function paholeReference(file: string): string;
