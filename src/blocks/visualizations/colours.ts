/**
 * Colours of the detection visualisations as upstream picks them
 * (docs/reference/blocks.md#bounding-box-visualization): supervision's `DEFAULT` and `ROBOFLOW`
 * palettes or the step's `custom_colors`, indexed by class, by position or by tracker id and
 * wrapped around the palette's length; text colours parsed as upstream's `str_to_color`.
 */
import { describeValue } from "../../errors/index.js";

export type Rgb = readonly [number, number, number];

/** supervision's `ColorPalette.DEFAULT`. */
const DEFAULT_PALETTE = [
  "#A351FB",
  "#FF4040",
  "#FFA1A0",
  "#FF7633",
  "#FFB633",
  "#D1D435",
  "#4CFB12",
  "#94CF1A",
  "#40DE8A",
  "#1B9640",
  "#00D6C1",
  "#2E9CAA",
  "#00C4FF",
  "#364797",
  "#6675FF",
  "#0019EF",
  "#863AFF",
  "#530087",
  "#CD3AFF",
  "#FF97CA",
  "#FF39C9",
];

/** supervision's `ColorPalette.ROBOFLOW`. */
const ROBOFLOW_PALETTE = ["#C28DFC", "#A351FB", "#8315F9", "#6706CE", "#5905B3", "#4D049A"];

/** supervision's named colours, which upstream's `str_to_color` accepts in any case. */
const NAMED_COLOURS: Record<string, Rgb> = {
  WHITE: [255, 255, 255],
  BLACK: [0, 0, 0],
  RED: [255, 0, 0],
  GREEN: [0, 255, 0],
  BLUE: [0, 0, 255],
  YELLOW: [255, 255, 0],
  ROBOFLOW: [0xa3, 0x51, 0xfb],
};

/** The palettes sightline draws with; upstream's Matplotlib palettes are refused by name. */
export const COLOR_PALETTES = ["DEFAULT", "CUSTOM", "ROBOFLOW"] as const;

/** What `color_axis` picks a detection's colour by. */
export const COLOR_AXES = ["INDEX", "CLASS", "TRACK"] as const;
export type ColorAxis = (typeof COLOR_AXES)[number];

function fromHex(hex: string): Rgb | null {
  const digits = hex.replace(/^#/, "");
  if (!/^([0-9a-f]{3}|[0-9a-f]{6})$/i.test(digits)) return null;
  const full = digits.length === 3 ? [...digits].map((digit) => digit + digit).join("") : digits;
  return [0, 2, 4].map((at) => parseInt(full.slice(at, at + 2), 16)) as unknown as Rgb;
}

/** `#RRGGBB` (or `#RGB`), `rgb(R, G, B)`, `bgr(B, G, R)` or a name (`WHITE`, `black`, …). */
export function parseColour(text: string): Rgb {
  const channels = (inside: string): number[] => inside.split(",").map((part) => Number(part.trim()));
  const valid = (values: number[]): boolean => values.length === 3 && values.every((value) => Number.isInteger(value) && value >= 0 && value <= 255);
  let colour: Rgb | null = null;
  if (text.startsWith("#")) colour = fromHex(text);
  else if (/^rgb\(.*\)$/.test(text)) {
    const values = channels(text.slice(4, -1));
    if (valid(values)) colour = values as unknown as Rgb;
  } else if (/^bgr\(.*\)$/.test(text)) {
    const values = channels(text.slice(4, -1));
    if (valid(values)) colour = [values[2], values[1], values[0]];
  } else colour = NAMED_COLOURS[text.toUpperCase()] ?? null;
  if (colour) return colour;
  throw new TypeError(`${describeValue(text)} is not a colour; valid formats are #RRGGBB, rgb(R, G, B), bgr(B, G, R), or a name (like WHITE, BLACK or BLUE)`);
}

/** The colours of `color_palette` (`custom_colors` for `CUSTOM`). */
export function paletteColours(palette: unknown, customColours: unknown): Rgb[] {
  if (palette === "DEFAULT") return DEFAULT_PALETTE.map(parseColour);
  if (palette === "ROBOFLOW") return ROBOFLOW_PALETTE.map(parseColour);
  if (palette === "CUSTOM") {
    if (!Array.isArray(customColours) || customColours.length === 0 || !customColours.every((colour) => typeof colour === "string")) {
      throw new TypeError(`custom_colors must be a non-empty list of colours with color_palette CUSTOM, got ${describeValue(customColours)}`);
    }
    return customColours.map(parseColour);
  }
  throw new TypeError(`color_palette ${describeValue(palette)} is not supported; sightline draws with ${COLOR_PALETTES.join(", ")}`);
}

/**
 * The palette index of the detection at `index`: its class id, its position, or its tracker id
 * (detections carry no tracker ids yet, so `TRACK` fails as supervision does without them).
 */
export function colourIndex(axis: unknown, index: number, classId: number): number {
  if (axis === "CLASS") return classId;
  if (axis === "INDEX") return index;
  if (axis === "TRACK") throw new TypeError("color_axis TRACK needs tracker ids, and these detections have none (no tracker ran on them)");
  throw new TypeError(`color_axis must be one of ${COLOR_AXES.join(", ")}, got ${describeValue(axis)}`);
}

/** Upstream's wrapping palette: any index, negative ones too, lands on a colour. */
export function pickColour(colours: readonly Rgb[], index: number): Rgb {
  return colours[((index % colours.length) + colours.length) % colours.length];
}

export function cssColour([r, g, b]: Rgb): string {
  return `rgb(${r},${g},${b})`;
}
