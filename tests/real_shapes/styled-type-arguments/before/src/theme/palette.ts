export interface Palette {
  accent: string;
  muted: string;
}

export const palette: Palette = { accent: "#c2410c", muted: "#6b7280" };

export type Size = "small" | "large";
