import { type DragEvent, useEffect, useRef, useState } from "react";

/** Whether a drag carries files (not text or a link being dragged about the page). */
export const draggingFiles = (dt: DataTransfer | null | undefined): boolean =>
  !!dt && [...dt.types].includes("Files");

/**
 * What a drop target needs: whether a drag is over it (for its look) and the handlers that take the dropped
 * files, as the Survey view's snapshot drop and the Layouts view's kernel drop both use them. A drop here is
 * this target's alone: it does not reach the page-wide drop (`usePageDrop`).
 */
export function useDropZone(onFiles: (files: File[]) => void) {
  const [dragging, setDragging] = useState(false);
  return {
    dragging,
    handlers: {
      onDragOver: (e: DragEvent<HTMLElement>) => {
        if (!draggingFiles(e.dataTransfer)) return;
        e.preventDefault();
        e.stopPropagation();
        e.dataTransfer.dropEffect = "copy";
        setDragging(true);
      },
      onDragLeave: () => setDragging(false),
      onDrop: (e: DragEvent<HTMLElement>) => {
        if (!draggingFiles(e.dataTransfer)) return;
        e.preventDefault();
        e.stopPropagation();
        setDragging(false);
        onFiles([...e.dataTransfer.files]);
      },
    },
  };
}

/**
 * Files dropped anywhere on the page: taken by `onFiles`, never opened by the browser in place of the app
 * (which would leave it). Says while files are dragged over the page, for a hint of where they will go.
 */
export function usePageDrop(onFiles: (files: File[]) => void): boolean {
  const [over, setOver] = useState(false);
  const take = useRef(onFiles);
  take.current = onFiles;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // `dragover` repeats while a drag is over the page; when it stops, the drag has left or ended.
    const onOver = (e: globalThis.DragEvent) => {
      if (!draggingFiles(e.dataTransfer)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
      setOver(true);
      clearTimeout(timer);
      timer = setTimeout(() => setOver(false), 400);
    };
    const onDrop = (e: globalThis.DragEvent) => {
      if (!draggingFiles(e.dataTransfer)) return;
      e.preventDefault();
      clearTimeout(timer);
      setOver(false);
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length > 0) take.current(files);
    };
    window.addEventListener("dragover", onOver);
    window.addEventListener("drop", onDrop);
    return () => {
      clearTimeout(timer);
      window.removeEventListener("dragover", onOver);
      window.removeEventListener("drop", onDrop);
    };
  }, []);
  return over;
}
