import { bitRange, type Segment } from "../lib/word-segments.js";

/**
 * The word's bits, high bit first, in rows of 32: each bit coloured by the field it belongs to and, when a
 * word is given, showing its value. The legend under it says the same in words.
 */
export function WordBits(props: {
  wordBits: number;
  segments: readonly Segment[];
  word: bigint | undefined;
  caption: string;
}) {
  const { wordBits, segments, word } = props;
  const segmentOf = (bit: number) => segments.findIndex((s) => bit <= s.high && bit >= s.low);
  const rows: number[][] = [];
  for (let hi = wordBits - 1; hi >= 0; hi -= 32) rows.push(Array.from({ length: 32 }, (_, i) => hi - i));
  return (
    <figure className="word-bits" data-testid="word-bits">
      <div
        className="bit-rows"
        role="img"
        aria-label={`${props.caption}. ${segments.map((s) => `${bitRange(s)}: ${s.label}`).join("; ")}`}
      >
        {rows.map((row) => (
          <div className="bit-row" key={row[0]}>
            {row.map((bit) => {
              const si = segmentOf(bit);
              const s = segments[si];
              const first = s && bit === s.high;
              const value = word === undefined ? undefined : (word >> BigInt(bit)) & 1n;
              return (
                <div
                  key={bit}
                  className={`bit role-${s?.role ?? "unused"} seg-${si % 6}${first ? " seg-start" : ""}`}
                  title={s ? `bit ${bit}: ${s.label}` : `bit ${bit}`}
                  data-bit={bit}
                >
                  <span className="bit-no">{bit}</span>
                  <span className="bit-val">{value === undefined ? "" : value.toString()}</span>
                </div>
              );
            })}
          </div>
        ))}
      </div>
      <figcaption>
        <p className="mono">{props.caption}</p>
        <ul className="legend">
          {segments.map((s, i) => (
            <li key={`${s.high}-${s.low}`}>
              <span className={`swatch role-${s.role} seg-${i % 6}`} aria-hidden="true" /> {bitRange(s)}:{" "}
              {s.label}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
