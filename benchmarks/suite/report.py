"""The report: the targets table, RESULTS.md's tables, results.json and speed.png."""

import json

from .cases import OUT, POINTWISE, STREAM_IN_ROUNDS
from .catalogue_two import EMBEDDING_SHAPE, INFO_NCE_SHAPE
from .measure import MEMORY_ELEMENTS


def _fmt_time(seconds):
    """Seconds in us, ms or s; empty for None."""
    if seconds is None:
        return ""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def _ratio(row, other):
    """How many times faster lossjit is than ``other`` in ``row`` (None if ``other`` was not timed)."""
    t = row["times"].get(other)
    return t / row["times"]["lossjit"] if t else None


def _bw_share(row, bw, library="lossjit", n=None):
    """(GB/s, share of the matching STREAM kernel on ``n`` elements: the row's own size by default, timed
    in the row's own rounds when it was)."""
    if row["bytes"] is None or library not in row["times"]:
        return None, None
    gbs = row["bytes"] / row["times"][library] / 1e9
    if n is None and row.get("stream"):
        return gbs, row["stream"] / row["times"][library]
    key = (row["dtype"], n or row["n"])
    stream = "read2" if row["mode"] == "value" else "triad"  # value+grad and per-element losses write an array
    if row["loss"].startswith(("cross_entropy(labels", "softmax_focal")):  # one array read (and the gradient written)
        stream = "copy" if row["mode"] == "value+grad" else "read2"
    reference = bw.get(key, {}).get(stream)
    return gbs, (gbs / reference if reference else None)


def _memory_share(row, bw, library="lossjit"):
    """Share of the memory bandwidth (the STREAM kernel on MEMORY_ELEMENTS elements)."""
    return _bw_share(row, bw, library, MEMORY_ELEMENTS)[1]


def _triad_floor(row, bw):
    """What 4x torch asks of ``row`` against the time of the same-size triad, which moves the same
    bytes (two arrays read, one written) and computes nothing."""
    triad = bw.get((row["dtype"], row["n"]), {}).get("triad")
    seconds = row.get("stream") or (row["bytes"] / triad / 1e9 if triad and row["bytes"] else None)
    if not seconds:
        return ""
    return f" (4x torch: {_fmt_time(row['times']['torch'] / 4)}; the same-size triad: {_fmt_time(seconds)})"


#: Issue 25's targets: (label, the rows' losses, their shape), float32, each row at least as fast as torch.
CATALOGUE_TWO_TARGETS = (
    ("InfoNCE value+grad (4096, 256) f32 >= torch", ("info_nce", "info_nce(symmetric=True)"), INFO_NCE_SHAPE),
    ("triplet value+grad (65536, 128) f32 >= torch", ("triplet_margin",), EMBEDDING_SHAPE),
)


def targets(rows, bw, over, two=()):
    """Each target of issue 5 with the measured figure and whether it is met (sizes >= 1e6), and issue 25's
    on the catalogue-two rows ``two`` (``catalogue_two.run_all``): torch / lossjit at least 1 in every row of
    the target (InfoNCE: the default and the symmetric loss), whose values and gradients agree."""
    checks = []
    for name in ("mse", "mae", "huber", "binary_cross_entropy(from_logits)"):
        for dtype in ("float32", "float64"):
            big = [r for r in rows if r["loss"] == name and r["dtype"] == dtype and r["mode"] == "value+grad"
                   and r["n"] >= 10**6]
            if not big:
                continue
            vs_numpy = min(_ratio(r, "numpy") for r in big)
            with_torch = [r for r in big if "torch" in r["times"]]
            vs_torch = min((_ratio(r, "torch") for r in with_torch), default=None)
            memory = min(_memory_share(r, bw) or 0 for r in big)
            memory_out = min(_memory_share(r, bw, OUT) or 0 for r in big)
            cache = min(_bw_share(r, bw)[1] or 0 for r in big)
            cache_out = min(_bw_share(r, bw, OUT)[1] or 0 for r in big)
            checks.append((f"{name} {dtype} value+grad >= 1e6: >= 4x NumPy", f"{vs_numpy:.1f}x", vs_numpy >= 4))
            if vs_torch is not None:
                checks.append((f"{name} {dtype} value+grad >= 1e6: >= 4x torch",
                               f"{vs_torch:.1f}x{_triad_floor(min(with_torch, key=lambda r: _ratio(r, 'torch')), bw)}",
                               vs_torch >= 4))
            checks.append((f"{name} {dtype} value+grad >= 1e6: >= 75% of memory bandwidth", f"{memory:.0%}",
                           memory >= 0.75))
            checks.append((f"{name} {dtype} value+grad >= 1e6 into a reused `out=`: >= 75% of memory bandwidth",
                           f"{memory_out:.0%}", memory_out >= 0.75))
            checks.append((f"{name} {dtype} value+grad >= 1e6 (like for like): >= 75% of the same-size triad "
                           f"timed in the same rounds, new gradient / `out=`", f"{cache:.0%} / {cache_out:.0%}",
                           min(cache, cache_out) >= 0.75))
    for kind in ("labels", "probabilities"):
        softmax = [r for r in rows if r["loss"] == f"cross_entropy({kind}, logits)" and "torch" in r["times"]]
        for mode, need in (("value+grad", 2.0), ("value", 1.0)):
            ratios = [_ratio(r, "torch") for r in softmax if r["mode"] == mode]
            if ratios:
                checks.append((f"cross_entropy({kind}, logits) {mode}: >= {need:g}x torch (worst shape)",
                               f"{min(ratios):.2f}x", min(ratios) >= need))
    ctc = [_ratio(r, "torch") for r in rows if r["loss"].startswith("ctc")]
    if ctc:
        checks.append(("ctc: >= 2x torch (worst shape)", f"{min(ctc):.2f}x", min(ctc) >= 2))
    for label, losses, shape in CATALOGUE_TWO_TARGETS:
        found = [r for r in two if r["loss"] in losses and r["dtype"] == "float32" and r["shape"] == list(shape)]
        if found:
            figure = ", ".join(f"{r['loss']} {r['ratio']:.2f}x" + ("" if r["agree"] else " (values disagree!)")
                               for r in found)
            checks.append((label, figure, all(r["ratio"] >= 1 and r["agree"] for r in found)))
    per_call = over["per_call_1000_elements_s"]["lj.mse(y, p)"]
    checks.append(("1,000-element call lj.mse(y, p) < 3 us", _fmt_time(per_call), per_call < 3e-6))
    extra = over["import_lossjit_minus_numba_s"]
    checks.append(("import lossjit < 0.3 s more than import numba", f"{extra:.3f} s", extra < 0.3))
    first_calls = over["first_call_warm_cache_s"]
    first = max(v for k, v in first_calls.items() if "without" not in k)
    checks.append(("first call with a warm cache < 0.2 s", f"{first:.3f} s", first < 0.2))
    lean = [v for k, v in first_calls.items() if "without" in k]
    if lean:
        checks.append(("same, without scipy and cffi (lossjit's own dependencies)", f"{lean[0]:.3f} s",
                       lean[0] < 0.2))
    return checks


def markdown(env, bw, rows, over, checks, quick, two=()):
    """RESULTS.md: the machine, the targets, the bandwidth table, the overheads, a table per loss and the
    catalogue-two rows ``two``."""
    out = [f"# lossjit benchmark results{' (--quick)' if quick else ''}", "",
           f"Run {env['date']} on {env['cpu']}: {env['usable_cpus']} usable CPUs, numba {env['numba']} with "
           f"{env['numba_threads']} threads on the `{env['threading_layer']}` layer; NumPy {env['numpy']}, "
           f"PyTorch {env['torch']} ({env['torch_threads']} threads), scikit-learn {env['sklearn']}, "
           f"Python {env['python']}. Load average at start: "
           f"{', '.join(f'{x:.2f}' for x in env['load_average'])}. OPENBLAS variables: {env['openblas_env'] or 'none'}.",
           "", f"BLAS/OpenMP pools: {env['threadpools']}", "",
           "Times are the best of repeated calls; `x numpy` etc. are how many times faster lossjit is "
           "(above 1: lossjit faster). `GB/s` counts inputs read once and the gradient (or the per-element "
           "losses of `losses (\"none\")`, `reduction=\"none\"`) written once; "
           "`% bw` divides it by a STREAM-like kernel on the same size (triad for value+grad and per-element "
           "losses, a two-array read for the value; for cross-entropy a copy / a one-array read); from "
           f"{STREAM_IN_ROUNDS:.0e} elements the pointwise rows time it on their own arrays in their own rounds "
           "(this VM's memory speed drifts up to 2x over minutes). `% mem` divides by the same kernel on "
           f"{MEMORY_ELEMENTS:.0e} elements (the memory bandwidth: arrays far larger than the cache; the best "
           "figure of the run, from the table below or the rows of that size; a loss "
           "whose inputs stay in cache passes 100%). `out=` is lossjit's "
           "value+grad writing into one reused gradient buffer (`value_and_grad(..., out=buffer)`), timed in "
           "the same rounds.", "",
           "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    out += [f"| {label} | {figure} | {'yes' if ok else '**no**'} |" for label, figure, ok in checks]
    out += ["", "## Memory bandwidth (STREAM-like, numba prange; at the start of the run, the "
            f"{MEMORY_ELEMENTS:.0e} rows raised to the best timed with the pointwise rows)", "",
            "| dtype | n | triad GB/s | copy GB/s | read2 GB/s |", "|---|---:|---:|---:|---:|"]
    for (dtype, n), v in sorted(bw.items()):
        out.append(f"| {dtype} | {n:,} | {v['triad']:.1f} | {v['copy']:.1f} | {v['read2']:.1f} |")
    out += ["", "## Overheads", "",
            f"- `import lossjit` {over['import_lossjit_s']:.3f} s, `import numba` {over['import_numba_s']:.3f} s: "
            f"lossjit adds {over['import_lossjit_minus_numba_s']:.3f} s (median of fresh interpreters).",
            "- First call in a fresh interpreter with a warm cache: "
            + ", ".join(f"`{k}` {v:.3f} s" for k, v in over["first_call_warm_cache_s"].items()) + ".",
            "- Per call at 1,000 elements, validation included:", ""]
    out += [f"  - `{k}`: {_fmt_time(v)}" for k, v in over["per_call_1000_elements_s"].items()]
    losses = list(dict.fromkeys(r["loss"] for r in rows))
    for loss in losses:
        subset = [r for r in rows if r["loss"] == loss]
        others = [k for k in ("numpy", "sklearn", "torch") if any(k in r["times"] for r in subset)]
        with_out = any(OUT in r["times"] for r in subset)
        out_header = "`out=` | % bw | % mem | " if with_out else ""
        out += ["", f"## {loss}", "",
                "| dtype | size | mode | lossjit | GB/s | % bw | % mem | " + out_header
                + " | ".join(f"{k} | x {k}" for k in others) + " |",
                "|---|---:|---|---:|---:|---:|---:|" + "---:|---:|" * len(others) + "---:|---:|---:|" * with_out]
        for r in subset:
            gbs, share = _bw_share(r, bw)
            memory = _memory_share(r, bw)
            size = "x".join(map(str, r["shape"])) if "shape" in r else f"{r['n']:,}"
            cells = [r["dtype"], size, r["mode"], _fmt_time(r["times"]["lossjit"]),
                     f"{gbs:.1f}" if gbs else "", f"{share:.0%}" if share else "", f"{memory:.0%}" if memory else ""]
            if with_out:
                share_out, memory_out = _bw_share(r, bw, OUT)[1], _memory_share(r, bw, OUT)
                cells += [_fmt_time(r["times"].get(OUT)), f"{share_out:.0%}" if share_out else "",
                          f"{memory_out:.0%}" if memory_out else ""]
            for k in others:
                ratio = _ratio(r, k)
                cells += [_fmt_time(r["times"].get(k)), f"{ratio:.1f}" if ratio else ""]
            flag = "" if r["agree"] else " (values disagree!)"
            out.append("| " + " | ".join(cells) + f" |{flag}")
    out += _catalogue_two_section(two)
    return "\n".join(out) + "\n"


def _catalogue_two_section(two):
    """RESULTS.md's lines for the catalogue-two rows against torch (issue 25); none without them."""
    if not two:
        return []
    out = ["", "## Catalogue two against PyTorch: value and every input's gradient (issue 25)", "",
           "lossjit's `value_and_grad` into reused `out=` buffers against torch's forward and "
           "`torch.autograd.grad` for every differentiable input, in the same interleaved rounds. `x torch` is "
           "torch / lossjit (above 1: lossjit faster). `grad error`: the largest difference between a lossjit "
           "and a torch gradient over the largest element of torch's.", "",
           "| loss | dtype | shape | lossjit `out=` | torch | x torch | value | torch value | grad error | agree |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in two:
        out.append(f"| {r['loss']} | {r['dtype']} | {'x'.join(map(str, r['shape']))} | "
                   f"{_fmt_time(r['times']['lossjit'])} | {_fmt_time(r['times']['torch'])} | {r['ratio']:.2f} | "
                   f"{r['value']:.7g} | {r['torch_value']:.7g} | {r['grad_error']:.1e} | "
                   f"{'yes' if r['agree'] else '**no**'} |")
    return out


def plot(rows, bw, path):
    """speed.png: value+grad GB/s against the triad, and speed-ups over NumPy and PyTorch, per dtype."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    for column, dtype in enumerate(("float32", "float64")):
        ax = axes[0, column]
        sizes = sorted({n for (d, n) in bw if d == dtype})
        ax.plot(sizes, [bw[(dtype, n)]["triad"] for n in sizes], "k--", label="triad (bandwidth at that size)")
        ax.axhline(bw[(dtype, MEMORY_ELEMENTS)]["triad"], color="k", lw=0.8, ls=":", label="memory bandwidth")
        for name in POINTWISE:
            sub = [r for r in rows if r["loss"] == name and r["dtype"] == dtype and r["mode"] == "value+grad"]
            ax.plot([r["n"] for r in sub], [_bw_share(r, bw)[0] for r in sub], "o-", label=f"lossjit {name}")
        ax.set(xscale="log", yscale="log", xlabel="elements", ylabel="GB/s",
               title=f"value+grad {dtype}: lossjit GB/s against triad")
        ax.legend(fontsize=7)
        ax = axes[1, column]
        for name in POINTWISE:
            for other, style in (("numpy", "o-"), ("torch", "s--")):
                sub = [r for r in rows if r["loss"] == name and r["dtype"] == dtype and r["mode"] == "value+grad"
                       and other in r["times"]]
                if sub:
                    ax.plot([r["n"] for r in sub], [_ratio(r, other) for r in sub], style,
                            label=f"{name} vs {other}")
        ax.axhline(4, color="k", lw=0.8, ls=":")
        ax.set(xscale="log", yscale="log", xlabel="elements", ylabel="speed-up (x)",
               title=f"value+grad {dtype}: lossjit speed-up over NumPy and PyTorch")
        ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def write(folder, env, bw, rows, over, checks, quick, two=()):
    """RESULTS.md, results.json and speed.png into ``folder``; ``two``: the catalogue-two rows."""
    (folder / "RESULTS.md").write_text(markdown(env, bw, rows, over, checks, quick, two))
    (folder / "results.json").write_text(json.dumps(
        {"environment": env, "bandwidth": {f"{d} {n}": v for (d, n), v in bw.items()}, "rows": rows,
         "catalogue_two": list(two), "overheads": over}, indent=1, default=str))
    plot(rows, bw, folder / "speed.png")
