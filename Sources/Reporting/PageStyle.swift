/// The page's inline style sheet: no web fonts, no external files, print-friendly.
enum PageStyle {
  static let css = """
    :root { color-scheme: light; }
    body { margin: 0; padding: 24px 28px 40px; background: #f6f6f3; color: #222;
      font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
    main { max-width: 1140px; margin: 0 auto; }
    h1 { font-size: 22px; margin: 0 0 4px; }
    h2 { font-size: 17px; margin: 28px 0 8px; }
    .meta { color: #555; margin: 0 0 4px; }
    .warning { background: #fff4d6; border: 1px solid #e5c66b; padding: 8px 12px;
      border-radius: 4px; }
    figure { margin: 12px 0 20px; background: #fff; border: 1px solid #ddd; border-radius: 6px;
      padding: 6px 8px 4px; }
    figure svg { display: block; width: 100%; height: auto; }
    figcaption { color: #555; font-size: 13px; padding: 2px 10px 6px; }
    svg text { font-family: system-ui, "DejaVu Sans", sans-serif; fill: #333; }
    svg .chart-title { font-size: 15px; font-weight: 600; }
    svg .legend { font-size: 12px; }
    svg .tick { font-size: 11px; fill: #555; font-variant-numeric: tabular-nums; }
    svg .axis-label { font-size: 12px; fill: #444; }
    svg .end-label { font-size: 12px; font-weight: 600; }
    svg .empty { font-size: 14px; fill: #888; }
    svg .plot { fill: #fcfcfb; stroke: #bbb; stroke-width: 1; }
    svg .grid { stroke: #e4e4e0; stroke-width: 1; }
    .tables { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
    table { border-collapse: collapse; background: #fff; border: 1px solid #ddd; min-width: 420px; }
    caption { text-align: left; font-weight: 600; padding: 4px 2px 6px; }
    th, td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left;
      vertical-align: top; }
    th { background: #f0f0ec; font-weight: 600; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    tbody tr:nth-child(even) { background: #fafaf8; }
    code { font-size: 12.5px; }
    .exact, .muted { color: #888; font-size: 12px; }
    .exact { margin-left: 6px; }
    footer { margin-top: 28px; color: #777; font-size: 12px; }
    """
}
