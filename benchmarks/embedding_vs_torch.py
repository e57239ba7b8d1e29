"""lossjit's embedding losses against torch on the CPU: value and gradients of every input.

Times ``lj.triplet_margin.value_and_grad`` (gradients into reused ``out=`` buffers) against torch's
forward and backward of ``F.triplet_margin_loss`` (``torch.autograd.grad`` for the anchor, positive and
negative), and the same for the cosine embedding loss (gradients for x1 and x2), alternately, best of
``--rounds`` rounds each, on ``torch.set_num_threads(--threads)`` and Numba's default thread count::

    python benchmarks/embedding_vs_torch.py                          # (65536, 128) float32
    python benchmarks/embedding_vs_torch.py --rows 4096 --dtype float64

A ratio above 1 means lossjit is faster.
"""

import argparse
import time

import numba
import numpy as np
import torch
import torch.nn.functional as F

from lossjit.embedding import cosine_embedding, triplet_margin


def best_times(functions, rounds):
    """The best time of each function over ``rounds`` rounds, the functions run in turn in each round."""
    for function in functions.values():
        function()  # compile, allocate, warm the caches
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(rounds):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def triplet_pair(arrays):
    out = tuple(np.empty_like(x) for x in arrays)
    tensors = [torch.from_numpy(x).requires_grad_(True) for x in arrays]

    def lossjit():
        return triplet_margin.value_and_grad(*arrays, out=out)

    def torch_cpu():
        loss = F.triplet_margin_loss(*tensors)
        return loss, torch.autograd.grad(loss, tensors)

    value, grads = lossjit()
    torch_value, torch_grads = torch_cpu()
    check(value, grads, torch_value, torch_grads)
    return lossjit, torch_cpu


def cosine_pair(arrays, rng):
    x1, x2 = arrays[:2]
    labels = np.where(rng.random(len(x1)) < 0.5, 1, -1)
    out = (np.empty_like(x1), np.empty_like(x2))
    tensors = [torch.from_numpy(x).requires_grad_(True) for x in (x1, x2)]
    target = torch.from_numpy(labels)

    def lossjit():
        return cosine_embedding.value_and_grad(labels, x1, x2, out=out)

    def torch_cpu():
        loss = F.cosine_embedding_loss(*tensors, target)
        return loss, torch.autograd.grad(loss, tensors)

    value, grads = lossjit()
    torch_value, torch_grads = torch_cpu()
    check(value, grads, torch_value, torch_grads)
    return lossjit, torch_cpu


def check(value, grads, torch_value, torch_grads):
    """Both compute the same thing (to float32 rounding)."""
    assert np.isclose(value, torch_value.item(), rtol=1e-4), (value, torch_value.item())
    for grad, torch_grad in zip(grads, torch_grads):
        assert np.allclose(grad, torch_grad.numpy(), rtol=1e-3, atol=1e-3 * np.abs(grad).max())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=65536)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="torch's intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    arrays = tuple(rng.standard_normal((args.rows, args.width)).astype(args.dtype) for _ in range(3))
    print(f"({args.rows}, {args.width}) {args.dtype}, torch {torch.__version__} on {torch.get_num_threads()} "
          f"threads, Numba on {numba.get_num_threads()}; best of {args.rounds} rounds, value and every gradient")
    for name, (lossjit, torch_cpu) in (("triplet_margin", triplet_pair(arrays)),
                                       ("cosine_embedding", cosine_pair(arrays, rng))):
        best = best_times({"lossjit": lossjit, "torch": torch_cpu}, args.rounds)
        print(f"  {name:<17} lossjit {best['lossjit'] * 1e3:8.2f} ms   torch {best['torch'] * 1e3:8.2f} ms   "
              f"torch / lossjit = {best['torch'] / best['lossjit']:.2f}")


if __name__ == "__main__":
    main()
