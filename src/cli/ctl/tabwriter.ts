// Go's text/tabwriter as etcdctl configures it for help text (minwidth 0, tabwidth 8,
// padding 1, padchar '\t'): cells end at tabs, a column's width is its widest cell in a run
// of consecutive lines, and padding is written as tabs.

const TABWIDTH = 8;
const PADDING = 1;

interface Cell { text: string; width: number }

export function tabwrite(text: string): string {
  const lines: Cell[][] = text.split('\n').map((l) =>
    l.split('\t').map((t) => ({ text: t, width: [...t].length })));
  // The text after the last newline is an unterminated line; keep it as is.
  const widths: number[] = [];
  let out = '';

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const line = lines[i] as Cell[];
      line.forEach((c, j) => {
        out += c.text;
        if (j < line.length - 1) {
          const w = widths[j];
          if (w === undefined) {
            out += '\t';
          } else {
            const cellw = Math.ceil(w / TABWIDTH) * TABWIDTH;
            const n = cellw - c.width;
            out += '\t'.repeat(Math.ceil(n / TABWIDTH));
          }
        }
      });
      if (i < lines.length - 1) out += '\n';
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= (lines[cur] as Cell[]).length - 1) continue;
      writeLines(start, cur);
      start = cur;
      let width = 0;
      for (; cur < line1; cur++) {
        const line = lines[cur] as Cell[];
        if (column >= line.length - 1) break;
        const w = (line[column] as Cell).width + PADDING;
        if (w > width) width = w;
      }
      widths.push(width);
      format(start, cur);
      widths.pop();
      start = cur;
      cur--; // the for-loop increment must not skip the line that ended the block
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out;
}
