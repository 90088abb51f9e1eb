// jsdom has no drag events; Lumino's widgets define handlers for them when imported.
const scope = globalThis as Record<string, unknown>;
if (!scope.DragEvent) {
  scope.DragEvent = class DragEvent extends MouseEvent {};
}
export {};
