"""Losses over Dask arrays: lossjit's kernel on every block, the blocks' partial sums added in block order.

A loss called with a ``dask.array.Array`` among ``y_true``, ``y_pred`` and ``sample_weight`` comes here
from :meth:`lossjit.Loss._evaluate` (and ``PointwiseLoss.hessian``), the one place that looks; lossjit
itself never imports Dask. Nothing here schedules work: a call builds a Dask graph, which any scheduler
runs (threads, processes, ``distributed``), of three kinds of task:

* a **block task** per block of ``y_pred``: ``loss._job`` on the block's arrays, which checks them exactly
  as for NumPy (a label out of range fails the computation with NumPy's message), then the compiled
  kernel: the block's float64 sum ``sum_i w_i l_i``, its gradient, its per-element losses or its hessian;
* for ``reduction="mean"``, the **denominator** ``sum_i w_i``, from ``sample_weight`` (and, for softmax
  cross-entropy, the labels and the mask), never from ``y_pred``: the number of elements without weights
  (no task), else the weights summed per block. It is known before the block tasks run, so every
  gradient element is ``scale * w_i dl_i/dp_i`` with NumPy lossjit's own ``scale = 1 / sum_i w_i``;
* **one final task** that adds the blocks' sums in block order (C order over the block grid) in float64.

The value is therefore bitwise identical on every scheduler and at any number of workers, for one
chunking. Against NumPy lossjit on the same data it agrees to rounding (the sums are grouped by chunk as
well as by lossjit's 4096-element blocks); the gradient, the losses and the hessian are bitwise NumPy
lossjit's whenever the denominator is: always without weights, and with weights in one chunk.

Chunking. Each axis of ``y_pred`` is a *row* axis, chunked freely, or a *whole* axis that must lie in one
chunk: a softmax's class axis, each Dice sample's classes and pixels, CTC's time and class axes. Every
other argument is chunked like ``y_pred`` along the axes it shares with it: a NumPy argument is cut to
match; Dask arrays chunked otherwise are an error, as is a whole axis in several chunks, and both errors
say how to ``rechunk``. Shapes, dtypes, chunks and the options are checked as the graph is built, with
NumPy's messages; values (labels, probabilities, weights) inside the block tasks.
"""

import dataclasses
import math
import operator
import string
from functools import partial

import cloudpickle
import dask.array as da
import numpy as np

from . import _validation as v
from ._loss import PointwiseLoss
from .classification import _SoftmaxFocalJob, _SoftmaxJob
from .segmentation import _DiceJob, _TverskyJob
from .sequence import _CTCJob, _sequence_cross_entropy_job

#: One letter per axis of ``y_pred``, as :func:`dask.array.blockwise` indexes arrays.
_LETTERS = string.ascii_lowercase
#: The letter of the axis of CTC's padded targets, which ``y_pred`` does not have.
_TARGET_AXIS = "S"


def evaluate(loss, y_true, y_pred, sample_weight, reduction, options, want_grad, out, compute):
    """``Loss._evaluate`` for Dask inputs: ``(value, gradient or None)``.

    The value is computed when ``compute`` (a NumPy scalar of the compute dtype, as for NumPy inputs),
    else a lazy 0-d Dask array; ``reduction="none"`` gives a lazy array of the per-element losses either
    way. The gradient is always lazy, chunked like ``y_pred``. With ``compute=False`` the value and the
    gradient come from the same block tasks, so ``dask.compute(value, grad)`` reads the data once; with
    ``compute=True`` the value is computed now and the gradient reads the data again when it is computed.
    """
    if out is not None:
        raise TypeError("out= takes a NumPy array; with Dask inputs the gradient is a lazy Dask array, "
                        "which dask.array.store(grad, target) writes into any array")
    v.check_reduction(reduction)
    call = _Call(loss, y_true, y_pred, sample_weight, reduction, options)
    if reduction == "none":
        return call.losses_and_gradient() if want_grad else (call.losses(), None)
    if not want_grad:
        value = call.value()
        return (_computed(value) if compute else value), None
    value, grad = call.value_and_gradient()
    return (_computed(call.value()) if compute else value), grad


def hessian(loss, y_true, y_pred, sample_weight, reduction, options):
    """``PointwiseLoss.hessian`` for Dask inputs: a lazy Dask array chunked like ``y_pred``."""
    v.check_reduction(reduction)
    return _Call(loss, y_true, y_pred, sample_weight, reduction, options).hessian()


def _computed(value):
    """A 0-d Dask array's value, as a NumPy scalar of its dtype."""
    return value.compute()[()]


def _is_dask(array):
    return type(array).__module__.startswith("dask.")


# -- the loss in a task --------------------------------------------------------------------------------------------


class _Shipped:
    """A loss as an argument of Dask tasks. It pickles small: lossjit's own losses by name, a user's
    pointwise loss as its element function, made into the loss again (and its kernel compiled, or loaded
    from Numba's cache) once per worker process."""

    def __init__(self, loss):
        from . import BUILT_IN, losses

        self.loss = loss
        if loss.name in BUILT_IN and losses[loss.name] is loss:
            self._rebuild = (_built_in_loss, (loss.name,))
        elif isinstance(loss, PointwiseLoss) and hasattr(loss, "kernel"):
            self._rebuild = (_users_pointwise_loss, (cloudpickle.dumps(loss.kernel.function), loss.name))
        else:
            raise TypeError(f"{loss.name} cannot run on Dask arrays: lossjit's own losses and those made by "
                            "lj.pointwise_loss can")

    def __reduce__(self):
        return self._rebuild

    def __dask_tokenize__(self):
        return self._rebuild[1]


def _built_in_loss(name):
    from . import losses

    return _Shipped(losses[name])


#: A user's pointwise losses made again in this process, by their pickled element function.
_USERS_LOSSES = {}


def _users_pointwise_loss(function, name):
    if function not in _USERS_LOSSES:
        from ._pointwise import pointwise_loss

        _USERS_LOSSES[function] = _Shipped(pointwise_loss(cloudpickle.loads(function), name=name))
    return _USERS_LOSSES[function]


# -- how each family's arguments line up with y_pred's blocks ------------------------------------------------------


@dataclasses.dataclass
class _WeightsDenominator:
    """``sum_i w_i`` of "mean" from the weights alone, as NumPy lossjit's ``weight_total``: the number of
    elements of ``loss_shape`` without weights, else the weights (cast to ``dtype``; None: the compute
    dtype) summed in float64, times the elements each weight covers."""

    loss_shape: tuple
    dtype: object = None


@dataclasses.dataclass
class _LabelsDenominator:
    """``sum_i w_i`` of softmax cross-entropy's "mean", which class weights, ``ignore_index`` and the mask
    make depend on the labels: the family's own job per block on the labels (or, without them, a
    one-class stand-in), the mask and the weights, with a never-read stand-in of ``y_pred``."""

    index: str  # the letters of the rows
    n_classes: int
    labels: bool
    standin_options: dict


@dataclasses.dataclass
class _Layout:
    """How one call's arrays line up with ``y_pred``'s blocks.

    ``arrays`` and ``index``: each array argument (``y_pred``, ``y_true``, ``sample_weight``, the per-row
    options such as ``mask``) and its letters, one per axis, ``y_pred``'s own where it runs along one of
    ``y_pred``'s axes. ``whole``: letter -> description of each axis that must lie in one chunk, and
    ``reason`` why. ``loss_index``: the letters of the per-element losses. ``classes``: the letter kept at
    full length in the one-row stand-ins that check the options (see :meth:`standins`).
    """

    arrays: dict
    index: dict
    loss_index: str
    denominator: object
    whole: dict = dataclasses.field(default_factory=dict)
    reason: str = ""
    classes: str = ""
    standin_options: dict = dataclasses.field(default_factory=dict)

    def add_weights(self, sample_weight, loss_index, loss_shape):
        """``sample_weight`` (the loss's shape or a leading part of it) along the loss's leading letters."""
        if sample_weight is None:
            return
        weights = _array(sample_weight, "sample_weight")
        if weights.shape != loss_shape[:weights.ndim]:
            raise ValueError(f"sample_weight has shape {weights.shape}; it must be the loss's shape {loss_shape} "
                             "or a leading part of it, such as (N,)")
        self.arrays["sample_weight"] = weights
        self.index["sample_weight"] = loss_index[:weights.ndim]

    def standins(self):
        """Zeros (ones for weights and the mask) of every array's dtype, one row long: every letter but the
        class axis's is 1. The family's own job on them checks the options with NumPy's messages."""
        standins = {}
        for name, array in self.arrays.items():
            shape = tuple(size if letter == self.classes else 1 for letter, size in zip(self.index[name], array.shape))
            standins[name] = np.full(shape, name in ("sample_weight", "mask"), array.dtype)
        return standins


def _array(value, name):
    """A Dask array as it is, anything else as NumPy's checks make it; either way, NumPy's dtype check."""
    if not _is_dask(value):
        return v.as_array(value, name)
    v.as_array(np.empty(0, value.dtype), name)
    if any(math.isnan(size) for size in value.shape):
        raise ValueError(f"{name} has unknown chunk sizes: call {name}.compute_chunk_sizes() first")
    return value


def _pointwise_layout(y_true, y_pred, sample_weight, options):
    y_true, y_pred = _array(y_true, "y_true"), _array(y_pred, "y_pred")
    v.check_same_shape(y_true, y_pred)
    v.check_not_empty(y_pred, "y_pred")
    letters = _LETTERS[:y_pred.ndim]
    layout = _Layout({"y_pred": y_pred, "y_true": y_true}, {"y_pred": letters, "y_true": letters}, letters,
                     _WeightsDenominator(y_pred.shape))
    layout.add_weights(sample_weight, letters, y_pred.shape)
    return layout


def _holds_labels(y_true, shape, axis, loss_shape):
    """Whether ``y_true`` holds class indices (the loss's shape) rather than probabilities (``y_pred``'s
    shape); another shape is NumPy lossjit's ValueError."""
    if y_true.shape == shape:
        return False
    if y_true.shape == loss_shape:
        return True
    raise ValueError(f"y_true has shape {y_true.shape}; for y_pred of shape {shape} with classes on axis {axis} it "
                     f"must hold class indices of shape {loss_shape} or class probabilities of shape {shape}")


_SOFTMAX_REASON = "a softmax needs every class of a row in one chunk; chunk y_pred along its other axes only"


def _softmax_layout(y_true, y_pred, sample_weight, options, *, labels_in_denominator):
    """Cross-entropy and softmax focal: rows along every axis but the class axis."""
    y_pred, y_true = _array(y_pred, "y_pred"), _array(y_true, "y_true")
    shape = y_pred.shape
    ndim = len(shape)
    if ndim == 0:
        raise ValueError("y_pred must have a class axis; got a scalar")
    v.check_not_empty(y_pred, "y_pred")
    axis = options.get("axis", -1)
    if (type(axis) is not int and (isinstance(axis, (bool, np.bool_)) or not isinstance(axis, np.integer))) \
            or not -ndim <= axis < ndim:
        raise ValueError(f"axis must be an integer in [{-ndim}, {ndim}) for y_pred of shape {shape}, got {axis!r}")
    axis = int(axis) % ndim
    letters = _LETTERS[:ndim]
    classes = letters[axis]
    rows = letters.replace(classes, "")
    loss_shape = shape[:axis] + shape[axis + 1:]
    labels = _holds_labels(y_true, shape, axis, loss_shape)
    if labels and labels_in_denominator:
        denominator = _LabelsDenominator(rows, shape[axis], True, {"axis": -1, "from_logits": True})
    else:
        denominator = _WeightsDenominator(loss_shape)
    layout = _Layout({"y_pred": y_pred, "y_true": y_true}, {"y_pred": letters, "y_true": rows if labels else letters},
                     rows, denominator, whole={classes: "the class axis"}, reason=_SOFTMAX_REASON, classes=classes)
    layout.add_weights(sample_weight, rows, loss_shape)
    return layout


def _sequence_layout(y_true, y_pred, sample_weight, options):
    """Sequence cross-entropy: (N, T, C) scores, rows along N and T, and the (N, T) mask with them."""
    y_pred, y_true = _array(y_pred, "y_pred"), _array(y_true, "y_true")
    if y_pred.ndim != 3:
        raise ValueError(f"y_pred must have shape (N, T, C) (batch, time, classes); got shape {y_pred.shape}")
    token_shape = y_pred.shape[:2]
    layout = _Layout({"y_pred": y_pred}, {"y_pred": "abc"}, "ab", None, whole={"c": "the class axis"},
                     reason=_SOFTMAX_REASON, classes="c")
    mask = options.get("mask")
    if mask is not None:
        mask = _array(mask, "mask")
        if mask.shape != token_shape:
            raise ValueError(f"mask must have shape {token_shape}, one 0/1 per token; got {mask.shape}")
        layout.arrays["mask"], layout.index["mask"] = mask, "ab"
    layout.add_weights(sample_weight, "ab", token_shape)
    v.check_not_empty(y_pred, "y_pred")
    labels = _holds_labels(y_true, y_pred.shape, 2, token_shape)
    layout.arrays["y_true"], layout.index["y_true"] = y_true, "ab" if labels else "abc"
    if labels or mask is not None:
        layout.denominator = _LabelsDenominator("ab", y_pred.shape[2] if labels else 1, labels, {"from_logits": True})
    else:
        layout.denominator = _WeightsDenominator(token_shape)
    return layout


def _dice_layout(y_true, y_pred, sample_weight, options):
    """Dice: (N, C, *spatial) maps, rows along N only."""
    y_pred, y_true = _array(y_pred, "y_pred"), _array(y_true, "y_true")
    if y_pred.ndim < 2:
        raise ValueError("y_pred must have shape (N, C, *spatial) with classes on axis 1; "
                         f"got shape {y_pred.shape}")
    v.check_not_empty(y_pred, "y_pred")
    letters = _LETTERS[:y_pred.ndim]
    label_shape = y_pred.shape[:1] + y_pred.shape[2:]
    if y_true.shape == y_pred.shape:
        true_index = letters
    elif y_true.shape == label_shape:
        true_index = letters[0] + letters[2:]
    else:
        raise ValueError(
            f"y_true has shape {y_true.shape}; for y_pred of shape {y_pred.shape} (classes on axis 1) it "
            f"must hold class indices of shape {label_shape} or class probabilities of shape {y_pred.shape}")
    layout = _Layout({"y_pred": y_pred, "y_true": y_true}, {"y_pred": letters, "y_true": true_index}, letters[0],
                     _WeightsDenominator(y_pred.shape[:1]),
                     whole={letter: "the class axis" if letter == "b" else "a spatial axis" for letter in letters[1:]},
                     reason="Dice runs per sample: chunk the arrays along the batch axis 0 only", classes="b")
    layout.add_weights(sample_weight, letters[0], y_pred.shape[:1])
    return layout


def _ctc_layout(y_true, y_pred, sample_weight, options):
    """CTC: (T, N, C) scores, rows along N only, with the (N, S) padded targets and the (N,) lengths."""
    y_pred = _array(y_pred, "y_pred")
    if y_pred.ndim != 3:
        raise ValueError(f"y_pred must have shape (T, N, C) (time, batch, classes); got shape {y_pred.shape}")
    v.check_not_empty(y_pred, "y_pred")
    n_samples = y_pred.shape[1]
    lengths = {name: _array(options[name], name) for name in ("input_lengths", "target_lengths")
               if options.get(name) is not None}
    _check_lengths(lengths, "input_lengths", n_samples)
    targets = _array(y_true, "y_true")
    if targets.ndim == 1:
        if _is_dask(targets) or _is_dask(lengths.get("target_lengths")):
            raise ValueError("with Dask arrays, give the targets padded, one row per sample, (N, S) with "
                             "target_lengths: their 1-D concatenation cannot be cut by sample before it is computed")
        targets, lengths["target_lengths"] = _padded_targets(targets, lengths.get("target_lengths"), n_samples)
    elif targets.ndim == 2:
        if targets.shape[0] != n_samples:
            raise ValueError(f"padded y_true (the targets) must have shape ({n_samples}, S); got {targets.shape}")
        _check_lengths(lengths, "target_lengths", n_samples)
    else:
        raise ValueError("y_true (the targets) must be a padded (N, S) array or the 1-D concatenation of "
                         f"every target; got shape {targets.shape}")
    layout = _Layout({"y_pred": y_pred, "y_true": targets}, {"y_pred": "abc", "y_true": "b" + _TARGET_AXIS}, "b",
                     _WeightsDenominator((n_samples,), np.dtype(np.float64)),
                     whole={"a": "the time axis", "c": "the class axis", _TARGET_AXIS: "the target axis"},
                     reason="CTC runs per sample: chunk the arrays along the batch axis only", classes="c",
                     # Stand-in targets of length 0: their labels are checked in the blocks, against the blank.
                     standin_options={"target_lengths": np.zeros(1, np.int64)})
    for name, array in lengths.items():
        layout.arrays[name], layout.index[name] = array, "b"
    layout.add_weights(sample_weight, "b", (n_samples,))
    return layout


def _check_lengths(lengths, name, n_samples):
    if name in lengths and lengths[name].shape != (n_samples,):
        raise ValueError(f"{name} must have shape ({n_samples},), one length per sample; got {lengths[name].shape}")


def _padded_targets(targets, target_lengths, n_samples):
    """The 1-D concatenation of every target (NumPy), checked by the CTC job's own code, as (N, S) padded
    targets and their lengths."""
    labels, _, lengths = _CTCJob._targets(targets, target_lengths, n_samples)
    padded = np.zeros((n_samples, int(lengths.max(initial=0))), np.int64)
    padded[np.arange(padded.shape[1]) < lengths[:, None]] = labels
    return padded, lengths


def _family_layout(loss):
    if isinstance(loss, PointwiseLoss):
        return _pointwise_layout
    try:
        return _FAMILY_LAYOUTS[loss._prepare]
    except (KeyError, TypeError):
        raise TypeError(f"{loss.name} cannot run on Dask arrays: lossjit's own losses and those made by "
                        "lj.pointwise_loss can") from None


_FAMILY_LAYOUTS = {
    _SoftmaxJob: partial(_softmax_layout, labels_in_denominator=True),
    _SoftmaxFocalJob: partial(_softmax_layout, labels_in_denominator=False),
    _sequence_cross_entropy_job: _sequence_layout,
    _DiceJob: _dice_layout,
    _TverskyJob: _dice_layout,
    _CTCJob: _ctc_layout,
}


def _cut_alike(layout, loss_name):
    """Every array of ``layout`` as a Dask array, chunked alike along each letter: a NumPy array is cut like
    the Dask arrays that share its letters (in one chunk along the others); Dask arrays that disagree, or
    that split a whole axis, are a ValueError that says how to rechunk."""
    chunks = {}  # letter -> (chunks, name, axis) of the first Dask array along it
    for name, array in layout.arrays.items():
        if not _is_dask(array):
            continue
        for axis, letter in enumerate(layout.index[name]):
            here = array.chunks[axis]
            if letter in layout.whole and len(here) > 1:
                raise ValueError(f"{loss_name}: axis {axis} of {name}, {layout.whole[letter]}, is split into "
                                 f"{len(here)} chunks {here}; {layout.reason}. Rechunk it into one, e.g. "
                                 f"{name} = {name}.rechunk({{{axis}: -1}})")
            if letter not in chunks:
                chunks[letter] = (here, name, axis)
            elif chunks[letter][0] != here:
                first, first_name, first_axis = chunks[letter]
                raise ValueError(f"{loss_name}: {name} is chunked {here} along its axis {axis}, but {first_name} "
                                 f"{first} along its axis {first_axis}, the same axis of the loss; their blocks go "
                                 f"together one to one, so rechunk one like the other, e.g. {name} = "
                                 f"{name}.rechunk({{{axis}: {first_name}.chunks[{first_axis}]}})")
    # name=False: a random name, where Dask would hash the array's data (seconds for a large memory map).
    return {name: array if _is_dask(array) else
            da.from_array(array, chunks=tuple(chunks[letter][0] if letter in chunks else -1
                                              for letter in layout.index[name]), name=False)
            for name, array in layout.arrays.items()}


# -- the graphs of one call ------------------------------------------------------------------------------------------


class _Call:
    """One loss call on Dask arrays: its arguments checked and cut into ``y_pred``'s blocks, and the graphs
    of its results."""

    def __init__(self, loss, y_true, y_pred, sample_weight, reduction, options):
        layout = _family_layout(loss)(y_true, y_pred, sample_weight, options)
        self.shipped = _Shipped(loss)
        self.reduction = reduction
        self.arrays = _cut_alike(layout, loss.name)
        self.index = layout.index
        self.loss_index = layout.loss_index
        self.denominator = layout.denominator
        self.options = {key: value for key, value in options.items() if key not in layout.arrays}
        # The family's own checks of the options, on one-row stand-ins: NumPy's messages, before any computing.
        standins = layout.standins()
        probe = loss._job(standins.pop("y_true"), standins.pop("y_pred"), standins.pop("sample_weight", None),
                          reduction, {**self.options, **layout.standin_options, **standins})
        self.dtype = probe.dtype

    def _blocks(self, task, out_index, scale, dtype, lacking=(), **blockwise):
        """:func:`_block_task` ``task`` on every block of ``y_pred``, as a Dask array indexed ``out_index``."""
        arguments = [scale, "" if isinstance(scale, da.Array) else None]
        for name, array in self.arrays.items():
            arguments += [array, self.index[name]]
        return da.blockwise(_block_task, out_index, *arguments, task=task, shipped=self.shipped,
                            reduction=self.reduction, options=self.options, names=tuple(self.arrays),
                            lacking=lacking, concatenate=True, align_arrays=False, dtype=dtype,
                            meta=np.empty((0,) * len(out_index), dtype), **blockwise)

    def _block_sums(self, pairs=None):
        """The blocks' float64 sums ``sum_i w_i l_i``, one per block of ``y_pred`` (from ``pairs`` of
        (sum, gradient) if given)."""
        index = self.index["y_pred"]
        one_per_block = {letter: 1 for letter in index}
        if pairs is None:
            return self._blocks("sum", index, 1.0, np.float64, adjust_chunks=one_per_block)
        return da.blockwise(operator.itemgetter(0), index, pairs, index, adjust_chunks=one_per_block,
                            dtype=np.float64, meta=np.empty((0,) * len(index)))

    def _value(self, block_sums, scale):
        """The 0-d value: the blocks' sums added in block order, times ``scale``, in the compute dtype."""
        return da.blockwise(_value_task, "", block_sums, self.index["y_pred"], scale,
                            "" if isinstance(scale, da.Array) else None, dtype_name=self.dtype.name,
                            concatenate=True, dtype=self.dtype, meta=np.empty((), self.dtype))

    def _scale(self):
        """1 for "sum"; for "mean", 1 / sum_i w_i: a float for a count, else a 0-d Dask array computed from
        the weights (and labels and mask), not from ``y_pred``."""
        if self.reduction != "mean":
            return 1.0
        plan = self.denominator
        if isinstance(plan, _WeightsDenominator):
            if "sample_weight" not in self.arrays:
                return 1.0 / float(math.prod(plan.loss_shape))
            weights = self.arrays["sample_weight"]
            index = self.index["sample_weight"]
            parts = da.blockwise(_weight_sum_task, index, weights, index, dtype=np.float64,
                                 dtype_name=(plan.dtype or self.dtype).name,
                                 adjust_chunks={letter: 1 for letter in index}, meta=np.empty((0,) * len(index)))
            inner = math.prod(plan.loss_shape[weights.ndim:])
        else:
            reads = {name: array for name, array in self.arrays.items()
                     if name in ("sample_weight", "mask") or (name == "y_true" and plan.labels)}
            arguments = []
            for name, array in reads.items():
                arguments += [array, self.index[name]]
            true_dtype = self.arrays["y_true"].dtype
            pred_dtype = self.dtype if plan.labels else self.arrays["y_pred"].dtype
            index = plan.index
            parts = da.blockwise(_labels_denominator_task, index, *arguments, shipped=self.shipped,
                                 options={**self.options, **plan.standin_options}, names=tuple(reads),
                                 n_classes=plan.n_classes, pred_dtype_name=pred_dtype.name,
                                 true_dtype_name=true_dtype.name, adjust_chunks={letter: 1 for letter in index},
                                 concatenate=True, align_arrays=False, dtype=np.float64,
                                 meta=np.empty((0,) * len(index)))
            inner = 1
        return da.blockwise(_scale_task, "", parts, index, inner=inner, concatenate=True, dtype=np.float64,
                            meta=np.empty(()))

    def value(self):
        return self._value(self._block_sums(), self._scale())

    def value_and_gradient(self):
        """(value, gradient) from the same block tasks."""
        scale = self._scale()
        index = self.index["y_pred"]
        pairs = self._blocks("sum_and_gradient", index, scale, object)
        grad = da.blockwise(operator.itemgetter(1), index, pairs, index, dtype=self.dtype,
                            meta=np.empty((0,) * len(index), self.dtype))
        return self._value(self._block_sums(pairs), scale), grad

    def losses(self):
        return self._blocks("losses", self.loss_index, 1.0, self.dtype)

    def losses_and_gradient(self):
        """(per-element losses, gradient) from the same block tasks; the losses come out of them with
        ``y_pred``'s axes, those they lack of length 1 (squeezed here)."""
        index = self.index["y_pred"]
        lacking = tuple(axis for axis, letter in enumerate(index) if letter not in self.loss_index)
        pairs = self._blocks("losses_and_gradient", index, 1.0, object, lacking)
        losses = da.blockwise(operator.itemgetter(0), index, pairs, index, dtype=self.dtype,
                              adjust_chunks={index[axis]: 1 for axis in lacking},
                              meta=np.empty((0,) * len(index), self.dtype))
        grad = da.blockwise(operator.itemgetter(1), index, pairs, index, dtype=self.dtype,
                            meta=np.empty((0,) * len(index), self.dtype))
        return losses.squeeze(axis=lacking), grad

    def hessian(self):
        return self._blocks("hessian", self.index["y_pred"], self._scale(), self.dtype)


# -- the tasks ---------------------------------------------------------------------------------------------------------


def _block_task(scale, *blocks, task, shipped, reduction, options, names, lacking):
    """One block's work: the family's job on its arrays (named ``names``), then ``task``: "sum" (the float64
    ``sum_i w_i l_i``, shaped as one element of the block grid), "sum_and_gradient" (that and the
    gradient times ``scale``), "losses", "losses_and_gradient" (the losses with axes of length 1 where
    ``y_pred`` has the ``lacking`` ones) or "hessian" (times ``scale``)."""
    arrays = dict(zip(names, blocks))
    y_pred = arrays.pop("y_pred")
    job = shipped.loss._job(arrays.pop("y_true"), y_pred, arrays.pop("sample_weight", None), reduction,
                            {**options, **arrays})
    one_element = (1,) * y_pred.ndim
    if task == "sum":
        return np.full(one_element, job.total(1.0, False)[0])
    if task == "sum_and_gradient":
        total, grad = job.total(float(scale), True)
        return np.full(one_element, total), grad
    if task == "losses":
        return job.losses()
    if task == "losses_and_gradient":
        return np.expand_dims(job.losses(), lacking), job.gradient(1.0)
    return job.hessian(float(scale))


def _value_task(block_sums, scale, dtype_name):
    """The value, as NumPy lossjit makes it from its sum: ``(sum * scale)`` in the compute dtype, where the
    sum adds the blocks' float64 sums in block order (the same on every scheduler)."""
    total = 0.0
    for part in block_sums.ravel().tolist():
        total += part
    return np.asarray(np.dtype(dtype_name).type(total * float(scale)))


def _weight_sum_task(block, dtype_name):
    """A block of ``sample_weight``, checked as NumPy lossjit does (finite, non-negative), summed in float64
    after the cast to ``dtype_name``, as its ``weight_total``."""
    weights, _ = v.sample_weights(block, block.shape, np.dtype(dtype_name))
    return np.full((1,) * block.ndim, np.sum(weights, dtype=np.float64))


def _labels_denominator_task(*blocks, shipped, options, names, n_classes, pred_dtype_name, true_dtype_name):
    """One block's denominator of softmax cross-entropy: the family's job on its labels (or, without them, a
    one-class stand-in), mask and weights, with zeros for ``y_pred`` that are never read (``np.zeros``
    pages are mapped on first touch). A job whose rows are all ignored reports NaN; :func:`_scale_task`
    counts it as 0."""
    arrays = dict(zip(names, blocks))
    labels = arrays.pop("y_true", None)
    rows_shape = (labels if labels is not None else arrays["mask"]).shape
    y_pred = np.zeros(rows_shape + (n_classes,), pred_dtype_name)
    y_true = labels if labels is not None else np.zeros(rows_shape + (1,), true_dtype_name)
    job = shipped.loss._job(y_true, y_pred, arrays.pop("sample_weight", None), "mean", {**options, **arrays})
    return np.full((1,) * len(rows_shape), job.denominator)


def _scale_task(parts, inner):
    """1 / (the blocks' denominators added in block order, times ``inner``), or NumPy lossjit's error for
    weights that sum to zero. A NaN part (cross-entropy's block of ignored rows) adds 0, and the total
    is NaN when it is 0 with one (every row ignored, as NumPy lossjit and torch give)."""
    total = 0.0
    ignored = False
    for part in parts.ravel().tolist():
        if math.isnan(part):
            ignored = True
        else:
            total += part
    if ignored and total == 0:
        total = math.nan
    return np.asarray(1.0 / v.check_mean_denominator(total * inner))
