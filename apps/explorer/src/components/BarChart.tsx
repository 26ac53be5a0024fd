import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartData,
  type ChartOptions,
  Legend,
  LinearScale,
  LogarithmicScale,
  Tooltip,
} from "chart.js";
import { useEffect, useRef } from "react";

// Only what a bar chart needs, so the bundle carries no other chart types (Chart.js tree-shakes by registration).
Chart.register(BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, Tooltip, Legend);

export interface BarSeries {
  /** Short, for the legend (a phone has room for little). */
  readonly label: string;
  /** What the label means, for the tooltip. */
  readonly title?: string;
  readonly values: readonly number[];
  readonly color: string;
  /** Outline bars (the chosen design). */
  readonly highlight?: readonly boolean[];
}

/**
 * Records on the canvas how many legend entries there are and whether every one is drawn inside the chart (a
 * phone's narrow chart must not cut its legend), for tests and for anyone checking the page.
 */
function legendFit(c: Chart<"bar">): void {
  // Chart.js keeps where it drew each legend entry in `legendHitBoxes`, which its types leave out.
  const legend = c.legend as unknown as { legendHitBoxes?: { left: number; width: number }[] } | undefined;
  const boxes = legend?.legendHitBoxes ?? [];
  c.canvas.dataset.legendItems = String(boxes.length);
  c.canvas.dataset.legendFits = String(boxes.every((b) => b.left >= 0 && b.left + b.width <= c.width + 0.5));
}

/**
 * A Chart.js bar chart (stacked or grouped) that updates in place as its data changes, without animation, so
 * it follows a slider. The canvas has a text label; the numbers are in the table each chart sits next to.
 */
export function BarChart(props: {
  /** Category labels; an array is drawn as several lines. */
  labels: readonly (string | string[])[];
  series: readonly BarSeries[];
  stacked?: boolean;
  /** A logarithmic value axis, for bills where one use dwarfs the rest. */
  logarithmic?: boolean;
  yTitle: string;
  /** The unit of the values, said in every tooltip (`MiB`). */
  unit: string;
  ariaLabel: string;
  height?: number;
  format?: (v: number) => string;
  testId?: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<"bar"> | null>(null);
  // The chart is made once; its callbacks read the latest props.
  const latest = useRef(props);
  latest.current = props;
  const format = props.format ?? ((v: number) => v.toLocaleString("en-US"));

  const data: ChartData<"bar"> = {
    labels: [...props.labels],
    datasets: props.series.map((s) => ({
      label: s.label,
      data: [...s.values],
      backgroundColor: s.color,
      // A thin dark edge keeps light colours (the page map's palette is made for a dark canvas) visible on white.
      borderColor: s.highlight ? s.highlight.map((h) => (h ? "#111" : "#44484e")) : "#44484e",
      borderWidth: s.highlight ? s.highlight.map((h) => (h ? 2 : 1)) : 1,
    })),
  };

  // A logarithmic axis starts at the power of ten below the smallest bar, so that bar still shows.
  const positive = props.series.flatMap((s) => s.values.filter((v) => v > 0));
  const logMin = positive.length ? 10 ** Math.floor(Math.log10(Math.min(...positive))) : 1;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the chart is made once; data updates below
  useEffect(() => {
    // No 2D context (canvas blocked, or a test's DOM): no chart; the table beside it has the numbers.
    if (!canvas.current?.getContext("2d")) return;
    const options: ChartOptions<"bar"> = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { stacked: props.stacked ?? false },
        y: {
          type: props.logarithmic ? "logarithmic" : "linear",
          stacked: props.stacked ?? false,
          beginAtZero: !props.logarithmic,
          ...(props.logarithmic ? { min: logMin } : {}),
          title: { display: true, text: props.yTitle },
          ticks: { callback: (v) => format(Number(v)) },
        },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const p = latest.current;
              const title = p.series[ctx.datasetIndex]?.title;
              const f = p.format ?? format;
              const text = `${ctx.dataset.label}${title ? ` (${title})` : ""}: ${f(Number(ctx.parsed.y))} ${p.unit}`;
              // What the tooltip says, readable off the page (the tooltip itself is drawn on the canvas).
              if (canvas.current) canvas.current.dataset.tooltip = text;
              return text;
            },
          },
        },
      },
    };
    const c = new Chart(canvas.current, { type: "bar", data, options });
    chart.current = c;
    legendFit(c);
    return () => {
      c.destroy();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data = data;
    const y = c.options.scales?.y;
    if (y) {
      y.type = props.logarithmic ? "logarithmic" : "linear";
      (y as { beginAtZero?: boolean }).beginAtZero = !props.logarithmic;
      (y as { min?: number }).min = props.logarithmic ? logMin : undefined;
    }
    c.update("none");
    legendFit(c);
  });

  return (
    <div className="chart" style={{ height: props.height ?? 320 }} data-testid={props.testId}>
      <canvas ref={canvas} role="img" aria-label={props.ariaLabel}>
        {props.ariaLabel}
      </canvas>
    </div>
  );
}
