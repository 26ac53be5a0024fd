import { type DragEvent, useState } from "react";

/**
 * What a drop target needs: whether a drag is over it (for its look) and the handlers that take the dropped
 * files, as the Survey view's snapshot drop and the Layouts view's kernel drop both use them.
 */
export function useDropZone(onFiles: (files: File[]) => void) {
  const [dragging, setDragging] = useState(false);
  return {
    dragging,
    handlers: {
      onDragOver: (e: DragEvent<HTMLElement>) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
        setDragging(true);
      },
      onDragLeave: () => setDragging(false),
      onDrop: (e: DragEvent<HTMLElement>) => {
        e.preventDefault();
        setDragging(false);
        onFiles([...e.dataTransfer.files]);
      },
    },
  };
}
