/** `../shared/reference` beside the repository, where the kernel facts (pahole outputs, tables) are kept. */
export declare const referenceDir: string;
/** A reference file's text, by its path under `shared/reference`. */
export declare function readReference(relative: string): string;
/** The shipped `pahole -C NAME` output of Linux 6.18 x86-64: `paholeReference("pahole_page.txt")`. */
export declare function paholeReference(file: string): string;
