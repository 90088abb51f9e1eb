// An SVG file imported from TypeScript is its text (JupyterLab's webpack config loads it as a
// source asset), for a LabIcon's svgstr.
declare module '*.svg' {
  const value: string;
  export default value;
}
