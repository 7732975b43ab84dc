"""Plotly helpers the explorer's panels share: layout, bands, lines, grids.

Figures are plain Plotly JSON (dicts) rather than `plotly.graph_objects`:
validating hundreds of figure objects would dominate the page's build
time, so the tests validate one figure of each kind instead.
"""

import json

import plotly.graph_objects as go

TEMPLATE = "plotly_white"
SELECTED_COLOR = "#1f77b4"
OTHER_COLOR = "#b8b8b8"


def template():
    """The Plotly template every figure of the page is drawn with."""
    fig = go.Figure(layout={"template": TEMPLATE})
    return json.loads(fig.to_json())["layout"]["template"]


def transparent(color, alpha=0.2):
    """A "#rrggbb" color as rgba with `alpha`."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def band(x, stats, name, color=None, axes=None):
    """A min-max band under a curve: two traces, the upper one filled."""
    common = {
        "type": "scatter",
        "x": x,
        "mode": "lines",
        "line": {"width": 0},
        "hoverinfo": "skip",
        "legendgroup": name,
        **(axes or {}),
    }
    return [
        {**common, "y": stats["min"], "showlegend": False},
        {
            **common,
            "y": stats["max"],
            "fill": "tonexty",
            "fillcolor": color or transparent(SELECTED_COLOR),
            "name": name,
        },
    ]


def hline(y, text, top=True):
    """A dotted full-width line at `y` with a label: (shape, annotation)."""
    shape = {
        "type": "line",
        "xref": "paper",
        "x0": 0.0,
        "x1": 1.0,
        "yref": "y",
        "y0": y,
        "y1": y,
        "line": {"dash": "dot", "color": "#555", "width": 1.5},
    }
    annotation = {
        "text": text,
        "xref": "paper",
        "x": 1.0 if top else 0.0,
        "xanchor": "right" if top else "left",
        "yref": "y",
        "y": y,
        "yanchor": "bottom" if top else "top",
        "showarrow": False,
        "font": {"size": 11, "color": "#444"},
    }
    return shape, annotation


def grid(rows, cols, titles, hspace, vspace):
    """Subplot axes for a rows x cols grid with titles above each cell.

    Returns:
        `(layout, cells)`: layout entries (`xaxis`, `yaxis2`, ...,
        `annotations` with the titles) and, per cell in row-major order,
        the trace keys `{"xaxis": "x2", "yaxis": "y2"}`.
    """
    width = (1.0 - hspace * (cols - 1)) / cols
    height = (1.0 - vspace * (rows - 1)) / rows
    layout = {"annotations": []}
    cells = []
    for n in range(rows * cols):
        row, col = divmod(n, cols)
        x0 = col * (width + hspace)
        y1 = 1.0 - row * (height + vspace)
        suffix = "" if n == 0 else str(n + 1)
        layout[f"xaxis{suffix}"] = {
            "domain": [x0, x0 + width],
            "anchor": f"y{suffix}",
            **({"matches": "x"} if n else {}),
        }
        layout[f"yaxis{suffix}"] = {
            "domain": [y1 - height, y1],
            "anchor": f"x{suffix}",
        }
        cells.append({"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})
        if n < len(titles):
            layout["annotations"].append(
                {
                    "text": titles[n],
                    "xref": "paper",
                    "yref": "paper",
                    "x": x0 + width / 2,
                    "y": y1,
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 11},
                }
            )
    return layout, cells


def figure(traces, title, height=380, **layout):
    """A Plotly figure (JSON data) with the page's common layout."""
    return {
        "data": traces,
        "layout": {
            "title": {"text": title, "x": 0.01, "xanchor": "left"},
            "height": height,
            "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
            "legend": {"orientation": "h", "y": -0.2, "x": 0.0},
            "font": {"size": 12},
            **layout,
        },
    }
