"""The explorer page: `page_data` rendered through Jinja2 templates.

The markup is `report/templates/explorer.html.j2`, its style and script
`explorer.css` and `explorer.js` beside it. The page is one self-contained
file: plotly.js is inlined and the page data is embedded as JSON, so it
opens from disk with no server and no network.
"""

import json
import os
import re

import jinja2
import jinja2.ext
import jinja2.lexer
import markupsafe
import plotly.offline

from keras_initstudy.report.explorer import data
from keras_initstudy.report.explorer import depth
from keras_initstudy.report.explorer import edge
from keras_initstudy.report.explorer import measure
from keras_initstudy.report.explorer import sweep
from keras_initstudy.report.explorer import toy
from keras_initstudy.study import records

TEMPLATES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates"
)
PAGE_TEMPLATE = "explorer.html.j2"

_LINE_BREAK = re.compile(r"\n[ \t]*")


class _JoinLines(jinja2.ext.Extension):
    """Drops each line break of a page template's text, with its indent.

    The page template is written one element a line for reading, while the
    page keeps its markup on one line: no whitespace text between elements,
    which would show as gaps between inline ones. Only the template's own
    text is joined, never a value it renders, and the included style and
    script keep their lines.
    """

    def filter_stream(self, stream):
        if not stream.name.endswith(".html.j2"):
            return stream
        return (
            jinja2.lexer.Token(
                token.lineno, token.type, _LINE_BREAK.sub("", token.value)
            )
            if token.type == jinja2.lexer.TOKEN_DATA
            else token
            for token in stream
        )


_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    # The included style and script end with their files' last line break.
    keep_trailing_newline=True,
    extensions=[_JoinLines],
)


def _script_json(page):
    """`page` as JSON that a script element holds as it is."""
    text = json.dumps(page, allow_nan=False, separators=(",", ":"))
    # "</" inside a script element would end it early.
    return markupsafe.Markup(text.replace("</", "<\\/"))


def render_html(page):
    """The page for `page_data(...)`'s output, plotly.js inlined."""
    return _ENVIRONMENT.get_template(PAGE_TEMPLATE).render(
        panels=page["panels"],
        sweep_metrics=sweep.METRICS,
        depth_metrics=depth.METRICS,
        edge_metrics=edge.METRICS,
        trains_margin=measure.fmt(edge.TRAINS_MARGIN),
        weight_labels=toy.WEIGHT_LABELS,
        forward=toy.FORWARD,
        plotly_js=markupsafe.Markup(plotly.offline.get_plotlyjs()),
        payload=_script_json(page),
    )


def write_explorer(path, results, groups):
    """Writes the explorer page (one self-contained HTML file), atomically.

    Args:
        path: where explorer.html goes (its folder must exist).
        results: the report's results dict; the page's headline numbers.
        groups: `{section: [(task, record), ...]}`; see `page_data`.

    Returns:
        `path`.
    """
    return records.write_text_atomic(
        path, render_html(data.page_data(results, groups))
    )
