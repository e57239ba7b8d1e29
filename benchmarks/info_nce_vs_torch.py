"""InfoNCE value and gradients: lossjit against PyTorch CPU forward + backward of the same maths.

    python benchmarks/info_nce_vs_torch.py [--n 4096] [--d 256] [--dtype float32] [--rounds 7]
                                           [--symmetric]

lossjit: ``info_nce.value_and_grad(x1, x2, out=(g1, g2))`` into reused buffers. torch (threads set to 2, the
machine's cores): rows divided by their norms (squared norms clipped at the dtype's epsilon, as lossjit and optax
do), logits ``u @ v.T / temperature``, ``F.cross_entropy(logits, arange(N))`` (CLIP's mean with the transposed
logits when symmetric), ``backward()`` for both inputs' gradients. Rounds alternate the two libraries; each figure
is the best of its rounds (a shared machine only ever adds time). Prints both times and torch / lossjit.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import lossjit.info_nce as lj_info_nce  # noqa: E402


def torch_step(torch, x1, x2, temperature, symmetric):
    """Forward + backward of InfoNCE in torch; returns (loss, grad x1, grad x2)."""
    functional = torch.nn.functional
    a = x1.detach().requires_grad_(True)
    b = x2.detach().requires_grad_(True)
    eps = torch.finfo(a.dtype).eps
    u = a / torch.sqrt(torch.clamp((a * a).sum(1, keepdim=True), min=eps))
    v = b / torch.sqrt(torch.clamp((b * b).sum(1, keepdim=True), min=eps))
    logits = u @ v.T / temperature
    labels = torch.arange(a.shape[0])
    loss = functional.cross_entropy(logits, labels)
    if symmetric:
        loss = (loss + functional.cross_entropy(logits.T, labels)) / 2
    loss.backward()
    return loss.detach(), a.grad, b.grad


def best_time(function, repeats):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--d", type=int, default=256)
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3, help="calls per library per round")
    parser.add_argument("--temperature", type=float, default=0.07)
    parser.add_argument("--symmetric", action="store_true")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    x1 = rng.standard_normal((args.n, args.d)).astype(args.dtype)
    x2 = (x1 + 0.5 * rng.standard_normal((args.n, args.d))).astype(args.dtype)
    out = (np.empty_like(x1), np.empty_like(x2))
    t1, t2 = torch.from_numpy(x1), torch.from_numpy(x2)
    loss = lj_info_nce.info_nce
    options = {"temperature": args.temperature, "symmetric": args.symmetric}

    value, _ = loss.value_and_grad(x1, x2, out=out, **options)  # compile (or load) and warm up both
    torch_value, torch_g1, torch_g2 = torch_step(torch, t1, t2, args.temperature, args.symmetric)
    scale = max(np.abs(torch_g1.numpy()).max(), 1e-30)
    print(f"InfoNCE{' (symmetric)' if args.symmetric else ''} value+grad, ({args.n}, {args.d}) {args.dtype}, "
          f"temperature {args.temperature}; numpy BLAS + numba {__import__('numba').get_num_threads()} threads, "
          f"torch {torch.__version__} {torch.get_num_threads()} threads")
    print(f"  agreement: value {float(value):.7g} vs torch {float(torch_value):.7g}; max |grad x1 difference| / "
          f"max |grad| = {np.abs(out[0] - torch_g1.numpy()).max() / scale:.2e}")

    lossjit_times, torch_times = [], []
    for _ in range(args.rounds):
        lossjit_times.append(best_time(lambda: loss.value_and_grad(x1, x2, out=out, **options), args.repeats))
        torch_times.append(best_time(lambda: torch_step(torch, t1, t2, args.temperature, args.symmetric),
                                     args.repeats))
    lossjit_best, torch_best = min(lossjit_times), min(torch_times)
    print(f"  lossjit {lossjit_best * 1e3:8.1f} ms   (rounds: {', '.join(f'{t * 1e3:.0f}' for t in lossjit_times)})")
    print(f"  torch   {torch_best * 1e3:8.1f} ms   (rounds: {', '.join(f'{t * 1e3:.0f}' for t in torch_times)})")
    print(f"  torch / lossjit = {torch_best / lossjit_best:.2f}x (above 1: lossjit faster)")


if __name__ == "__main__":
    main()
