"""A self-contained HTML report of a replay (Plotly with its JavaScript embedded, no CDN), comparing
the broker policies of one run side by side: a summary table, wait-time distributions,
utilisation per center over time, and the voucher subsidy spent over time.
"""

from __future__ import annotations

import html as html_lib
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.offline import plot

from suanli.domain.money import format_yuan


def _div(fig: go.Figure, first: bool) -> str:
    # Embed plotly.js once, in the first figure; later figures reuse it.
    return str(plot(fig, output_type="div", include_plotlyjs=first, auto_open=False))


def _summary_table(results: list[dict[str, Any]]) -> str:
    head = ("broker", "jobs", "unplaced", "mean wait (s)", "p95 wait (s)", "mean JCT (s)", "utilisation",
            "cost", "subsidy", "budget out (day)")
    rows = []
    for r in results:
        cells = (r["broker"], r["jobs"], r["unplaced"], f'{r["mean_wait_s"]:,.0f}', f'{r["p95_wait_s"]:,.0f}',
                 f'{r["mean_jct_s"]:,.0f}', f'{r["utilisation"]["overall"]:.1%}', format_yuan(r["cost_fen"]),
                 format_yuan(r["subsidy_fen"]), r["budget_exhausted_day"] if r["budget_exhausted_day"] is not None else "-")
        rows.append("<tr>" + "".join(f"<td>{html_lib.escape(str(c))}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{h}</th>" for h in head)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def build_report(result: dict[str, Any]) -> str:
    results = result["results"]
    waits = go.Figure([go.Box(y=r["curves"]["wait_s"], name=r["broker"], boxpoints=False) for r in results])
    waits.update_layout(title="Wait time per broker (s)", yaxis_type="log")
    subsidy = go.Figure([go.Scatter(x=[p[0] / 86400 for p in r["curves"]["subsidy_fen"]],
                                    y=[p[1] / 100 for p in r["curves"]["subsidy_fen"]], name=r["broker"])
                         for r in results])
    subsidy.update_layout(title="Voucher subsidy spent (yuan)", xaxis_title="day")
    cost = go.Figure([go.Bar(x=[r["broker"] for r in results], y=[r["paid_by_users_fen"] / 100 for r in results],
                             name="paid by users"),
                      go.Bar(x=[r["broker"] for r in results], y=[r["subsidy_fen"] / 100 for r in results],
                             name="voucher subsidy")])
    cost.update_layout(title="Cost (yuan)", barmode="stack")
    divs = [_div(waits, True), _div(cost, False), _div(subsidy, False)]
    for r in results:
        util = go.Figure([go.Scatter(x=[p[0] / 86400 for p in curve], y=[p[1] for p in curve], name=center,
                                     line_shape="hv") for center, curve in r["curves"]["utilisation"].items()])
        util.update_layout(title=f"Utilisation per center over time: broker {r['broker']}", xaxis_title="day",
                           yaxis_tickformat=".0%")
        divs.append(_div(util, False))
    title = f"Suanli replay: {html_lib.escape(result['federation'])}"
    style = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{style}</style></head><body><h1>{title}</h1>"
            f"<p>trace: {html_lib.escape(str(result['trace']))}</p>{_summary_table(results)}{''.join(divs)}</body></html>")


def write_report(path: str | Path, result: dict[str, Any]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_report(result), encoding="utf-8")
