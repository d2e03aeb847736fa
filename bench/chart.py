"""chart.png: each tier and peer's time relative to C -O2, per kernel, as
grouped bars on a log scale, with the geometric mean as the last group.

matplotlib draws it with the Agg backend (no display needed); it is an
optional dependency (``pip install -e '.[bench]'``), and without it the
runner writes the tables and says the chart was skipped.
"""

from __future__ import annotations

from pathlib import Path

from bench.peers import BASELINE
from bench.report import geomeans, ratios

# One colour per participant, stable across runs: mochic tiers warm, peers cool.
COLOURS = {
    "mochic-interp": "#d62728", "mochic-jit": "#ff7f0e", "mochic-c": "#8c564b",
    "mochic-native": "#e377c2", "mochic-wasm": "#bcbd22",
    "python": "#1f77b4", "go": "#17becf", "luajit": "#2ca02c",
}


def draw(results: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    others = [p for p in results["participants"] if p["key"] != BASELINE]
    table = ratios(results)
    gm = geomeans(results)
    groups = [k["name"] for k in results["kernels"]] + ["geomean"]
    width = 0.8 / max(1, len(others))
    fig, ax = plt.subplots(figsize=(max(8.0, 0.75 * len(groups) + 2), 5.5), dpi=120)
    for i, p in enumerate(others):
        values = [table[g][p["key"]] for g in groups[:-1]] + [gm[p["key"]]]
        xs = [j + (i - (len(others) - 1) / 2) * width for j in range(len(groups))]
        ax.bar(xs, values, width, label=p["label"], color=COLOURS.get(p["key"]),
               edgecolor="white", linewidth=0.5)
    base_label = next(p["label"] for p in results["participants"] if p["key"] == BASELINE)
    ax.axhline(1.0, color="black", linewidth=1, label=f"{base_label} = 1")
    ax.axvline(len(groups) - 1.5, color="grey", linewidth=0.5, linestyle=":")
    ax.set_yscale("log")
    tallest = max([gm[p["key"]] for p in others] +
                  [table[g][p["key"]] for g in groups[:-1] for p in others])
    shortest = min([gm[p["key"]] for p in others] +
                   [table[g][p["key"]] for g in groups[:-1] for p in others] + [1.0])
    ax.set_ylim(shortest / 2, tallest * 12)  # headroom above the bars for the legend
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=35, ha="right")
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_ylabel(f"wall time / {base_label} (log scale, lower is faster)")
    m = results["machine"]
    kind = "quick run (sizes too small to compare speed)" if results["settings"]["quick"] \
        else f"median of at least {results['settings']['runs']} runs, same N per kernel"
    ax.set_title(f"mochic benchmarks: time relative to {base_label}\n"
                 f"{m['cpu']}, {m['cores']} cores, {m['date']}; {kind}", fontsize=10)
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, ncols=min(len(others) + 1, 5), loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
