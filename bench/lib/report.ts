/** One line of the summary table: a measurement, its target and whether it is met. */
export interface Row {
  section: string;
  metric: string;
  value: string;
  target?: string;
  met?: boolean;
}

/** Renders rows as a plain-text table grouped by section (stdout: pasteable into docs). */
export function renderTable(rows: readonly Row[]): string {
  const headers = ['metric', 'measured', 'target', ''];
  const body = rows.map((r) => [r.metric, r.value, r.target ?? '', r.met === undefined ? '' : r.met ? 'met' : 'MISSED']);
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  widths[0] = Math.max(widths[0]!, ...rows.map((r) => r.section.length + 4));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out: string[] = [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`];
  let section = '';
  rows.forEach((r, i) => {
    if (r.section !== section) {
      section = r.section;
      out.push(line([`**${section}**`, '', '', '']));
    }
    out.push(line(body[i]!));
  });
  return out.join('\n');
}
