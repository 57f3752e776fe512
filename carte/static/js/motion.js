// Residents who ask their system for less motion (prefers-reduced-motion) get maps that jump instead of
// gliding: no zoom, fade or drag-inertia animation, and groups of reports that open at once (WCAG 2.3.3).
export const reducedMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;

// Options for L.map: nothing where motion is welcome (Leaflet's own defaults).
export const mapMotion = reducedMotion
  ? { zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false, inertia: false }
  : {};
