"""Self-contained HTML reports: inline CSS, figures as embedded PNG, no network access."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tregsim.report.figures import compare_figure, to_data_uri

if TYPE_CHECKING:
    from tregsim.simulate import SimulationResult

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1180px;margin:24px auto;
padding:0 16px;color:#1d2430;line-height:1.45}
h1{font-size:1.5em;margin-bottom:0}h2{font-size:1.15em;border-bottom:1px solid #d8dde6;padding-bottom:3px;margin-top:1.6em}
.sub{color:#5a6578;margin-top:2px}table{border-collapse:collapse;font-size:.86em;margin:.5em 0}
td,th{border:1px solid #d8dde6;padding:3px 8px;text-align:left}th{background:#f1f4f8}
img{max-width:100%;border:1px solid #eef0f4}.note{background:#fff8e1;border-left:4px solid #f0b400;padding:6px 10px}
code{background:#f1f4f8;padding:0 3px}.tw{overflow-x:auto;max-width:100%}th{vertical-align:bottom}.pass{color:#1b7f3b;font-weight:600}.fail{color:#b3261e;font-weight:600}
"""


_LOAD_PROBE = ("<script>window.addEventListener('load',function(){var n=0;"
               "document.querySelectorAll('img').forEach(function(i){if(i.complete&&i.naturalWidth>0)n++;});"
               "document.body.setAttribute('data-figures-loaded',String(n));});</script>")


class Report:
    """Build an HTML page section by section; ``write`` saves it atomically."""

    def __init__(self, title: str, subtitle: str = ""):
        self.parts: list[str] = [f"<h1>{html.escape(title)}</h1>"]
        if subtitle:
            self.parts.append(f"<p class='sub'>{html.escape(subtitle)}</p>")
        self.title = title

    def heading(self, text: str) -> None:
        self.parts.append(f"<h2>{html.escape(text)}</h2>")

    def text(self, text: str, note: bool = False) -> None:
        cls = " class='note'" if note else ""
        self.parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def bullets(self, items: list[str]) -> None:
        """A bulleted list of plain-text items."""
        self.parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")

    def figure(self, fig, caption: str = "") -> None:
        self.parts.append(f"<figure><img alt='{html.escape(caption)}' src='{to_data_uri(fig)}'>"
                          f"<figcaption>{html.escape(caption)}</figcaption></figure>")

    def table(self, rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
        if not rows:
            return
        columns = columns or list(rows[0])
        head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
        self.parts.append(f"<div class='tw'><table><tr>{head}</tr>{body}</table></div>")

    def render(self) -> str:
        # The inline script only records, once the page has loaded, how many figures decoded, so that
        # a headless browser check can read it from the DOM (data-figures-loaded); it fetches nothing.
        return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>"
                + "\n".join(self.parts) + _LOAD_PROBE + "</body></html>")

    def write(self, path: Path) -> Path:
        path = Path(path)
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(self.render(), encoding="utf-8")
        tmp.replace(path)
        return path


def _cell(v: Any) -> str:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return "<span class='pass'>yes</span>" if v else "<span class='fail'>no</span>"
    if isinstance(v, float):
        return f"{v:.4g}" if v == v else "&ndash;"
    if v is None:
        return "&ndash;"
    return html.escape(str(v))


def protocol_rows(result: SimulationResult) -> list[dict[str, Any]]:
    p = result.protocol
    return [{"field": k, "value": json.dumps(v) if isinstance(v, (list, dict)) else v}
            for k, v in p.model_dump(mode="json", exclude_none=True).items()]


def simulation_report(result: SimulationResult, path: Path) -> Path:
    """report.html for one ``tregsim simulate`` run."""
    p = result.protocol
    rep = Report(f"tregsim simulate: {p.name or p.disease}",
                 f"{p.species}, {p.disease}, hypothesis {p.hypothesis}, knockouts {list(p.knockouts) or 'none'}, "
                 f"{result.data.sizes['subject']} subject(s), seed {result.seed}")
    rep.heading("Metrics")
    rep.table([{"metric": k, "value": v} for k, v in result.metrics.items()])
    if result.failures:
        rep.text(f"{len(result.failures)} subject(s) failed to solve and are excluded: "
                 + "; ".join(f"subject {f.subject} seed {list(f.seed)}" for f in result.failures), note=True)
    rep.heading("Time courses")
    rep.figure(compare_figure({"": result}), "mean over subjects (line) and 10-90 % range (band)")
    rep.heading("Protocol")
    rep.table(protocol_rows(result))
    return rep.write(path)
