/*
 * Colour science for the tests of the page map's palette, with the standard formulas: WCAG 2.2's relative
 * luminance and contrast ratio, Machado, Oliveira and Fernandes (2009)'s simulation of full protanopia,
 * deuteranopia and tritanopia (their severity-1.0 matrices, on linear RGB), and CIE 1976 L*a*b* colour
 * differences (D65). Colours are `#rrggbb`.
 */

const linear = (hex: string): [number, number, number] =>
  [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];

const luminance = ([r, g, b]: readonly number[]) => 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;

export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(linear(a)), luminance(linear(b))].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

type Matrix = readonly (readonly [number, number, number])[];
export const machado: Readonly<Record<string, Matrix>> = {
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

const simulate = (rgb: readonly number[], m: Matrix | undefined) =>
  m ? m.map((row) => Math.min(1, Math.max(0, row[0] * rgb[0]! + row[1] * rgb[1]! + row[2] * rgb[2]!))) : rgb;

function lab([r, g, b]: readonly number[]): [number, number, number] {
  const x = (0.4124 * r! + 0.3576 * g! + 0.1805 * b!) / 0.95047;
  const y = 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  const z = (0.0193 * r! + 0.1192 * g! + 0.9505 * b!) / 1.08883;
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** ΔE*ab between two colours as seen with normal vision (`undefined`) or one of the simulated deficiencies. */
export const deltaE = (a: string, b: string, vision?: string) => {
  const m = vision ? machado[vision] : undefined;
  const [p, q] = [lab(simulate(linear(a), m)), lab(simulate(linear(b), m))];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
};

/** The simulated colour-vision deficiencies, and normal vision (`undefined`). */
export const visions = [undefined, ...Object.keys(machado)] as const;
