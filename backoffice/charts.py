"""The service figures' charts (R-KPI-1, issue 15), drawn on the server as inline SVG: no
script, nothing from another origin. Each chart names itself (title and desc) for screen readers,
and the page shows the same numbers as a table beside it."""

from django.utils.html import format_html, format_html_join

from kernel.money import to_fen


def shown(value, kind):
    """A figure as people read it: shares in per cent, hours with one decimal, money in yuan."""
    if value is None:
        return "—"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "hours":
        return f"{value:.1f}"
    if kind == "money":
        return f"¥{to_fen(value)}"
    if kind == "rating":
        return f"{value:.2f}"
    return str(value)


LABEL_WIDTH, PLOT_WIDTH, VALUE_WIDTH, BAR_HEIGHT, GAP = 220, 460, 80, 14, 10
BAR_CLASSES = ("zb-bar", "zb-bar-2", "zb-bar-3")


def bar_chart(title, rows, columns):
    """Horizontal bars, one group per row and one bar per column, drawn as inline SVG."""
    if not rows:
        return ""
    kinds = {kind for _h, _k, kind in columns}
    fixed = {frozenset({"share"}): 1, frozenset({"rating"}): 5}.get(frozenset(kinds))
    top = fixed or max((float(r[key] or 0) for r in rows for _h, key, _kind in columns), default=0) or 1
    group_height = BAR_HEIGHT * len(columns) + GAP
    height = group_height * len(rows) + GAP
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    bars = []
    for i, row in enumerate(rows):
        y0 = GAP + i * group_height
        bars.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>',
                LABEL_WIDTH - 8,
                y0 + BAR_HEIGHT * len(columns) / 2 + 4,
                row["label"][:28],
            )
        )
        for j, (header, key, kind) in enumerate(columns):
            value = row[key]
            length = 0 if value is None else max(1, round(float(value) / top * PLOT_WIDTH))
            y = y0 + j * BAR_HEIGHT
            bars.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>'
                    '<text x="{}" y="{}">{}</text>',
                    BAR_CLASSES[j % len(BAR_CLASSES)],
                    LABEL_WIDTH,
                    y,
                    length,
                    BAR_HEIGHT - 2,
                    header,
                    shown(value, kind),
                    LABEL_WIDTH + length + 4,
                    y + BAR_HEIGHT - 3,
                    shown(value, kind),
                )
            )
    legend = format_html_join(
        "",
        '<span class="zb-swatch {}"></span>{}',
        ((BAR_CLASSES[j % len(BAR_CLASSES)], header) for j, (header, _k, _kind) in enumerate(columns)),
    )
    return format_html(
        '<svg class="zb-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}">'
        '<title>{}</title><line class="zb-axis" x1="{}" y1="0" x2="{}" y2="{}"></line>{}</svg>'
        '<p class="help zb-legend">{}</p>',
        title,
        width,
        height,
        width,
        height,
        title,
        LABEL_WIDTH,
        LABEL_WIDTH,
        height,
        format_html_join("", "{}", ((b,) for b in bars)),
        legend,
    )


LINE_WIDTH, LINE_HEIGHT, MARGIN = 640, 160, 40


def line_chart(title, description, rows, columns, *, fixed_top=None):
    """One line per column over the days of `rows` (each with "label", the day)."""
    if not rows:
        return ""
    top = fixed_top or max((float(r[key] or 0) for r in rows for _h, key, _kind in columns), default=0) or 1
    step = LINE_WIDTH / max(1, len(rows) - 1)
    width, height = LINE_WIDTH + 2 * MARGIN, LINE_HEIGHT + 2 * MARGIN // 2 + 20

    def point(i, value):
        return f"{MARGIN + i * step:.1f},{MARGIN // 2 + LINE_HEIGHT - float(value) / top * LINE_HEIGHT:.1f}"

    lines = []
    for j, (_header, key, _kind) in enumerate(columns):
        # A day without a value breaks the line rather than drawing it at zero.
        runs, run = [], []
        for i, row in enumerate(rows):
            if row[key] is None:
                runs, run = runs + [run] if run else runs, []
            else:
                run.append(point(i, row[key]))
        runs += [run] if run else []
        css = BAR_CLASSES[j % len(BAR_CLASSES)]
        for points in runs:
            lines.append(format_html('<polyline class="zb-line {}" points="{}"></polyline>', css, " ".join(points)))
    axis_y = MARGIN // 2 + LINE_HEIGHT
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (f"{MARGIN + i * step:.1f}", axis_y + 16, rows[i]["label"][5:])
            for i in sorted({0, len(rows) // 2, len(rows) - 1})
        ),
    )
    scale = format_html(
        '<text x="{}" y="{}" text-anchor="end">{}</text><text x="{}" y="{}" text-anchor="end">0</text>',
        MARGIN - 4,
        MARGIN // 2 + 4,
        shown(top, columns[0][2]),
        MARGIN - 4,
        axis_y,
    )
    legend = format_html_join(
        "",
        '<span class="zb-swatch {}"></span>{}',
        ((BAR_CLASSES[j % len(BAR_CLASSES)], header) for j, (header, _k, _kind) in enumerate(columns)),
    )
    chart_id = "chart-" + "-".join(key for _h, key, _kind in columns)
    return format_html(
        '<svg class="zb-chart zb-trend" role="img" aria-labelledby="{0}-title {0}-desc" viewBox="0 0 {1} {2}"'
        ' width="{1}" height="{2}"><title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>'
        '<line class="zb-axis" x1="{5}" y1="{6}" x2="{7}" y2="{6}"></line>{8}{9}{10}</svg>'
        '<p class="help zb-legend">{11}</p>',
        chart_id,
        width,
        height,
        title,
        description,
        MARGIN,
        axis_y,
        MARGIN + LINE_WIDTH,
        scale,
        ticks,
        format_html_join("", "{}", ((line,) for line in lines)),
        legend,
    )
