"""The exercise checks (``course/teaching/chNN.py``) speak the reader's language.

Every ``verdict`` call of every check module gives its hint twice, in English and in Chinese
(``teaching.feedback.verdict(correct, hint, hint_zh)``). In a working directory of the Chinese edition
(``.../course/zh`` or ``.../course/zh/solutions``, where Jupyter starts those notebooks' kernels) a check
prints "正确。" or "还不对：<Chinese hint>"; anywhere else exactly the English text it always printed, so the
English notebooks' stored outputs do not change.

Checked twice: statically (``ast``: every call in every module, every branch, passes both hints, the Chinese
one in Chinese and naming the same variable), and by calling every check with a wrong answer in both
kinds of working directory (``monkeypatch.chdir`` to folders shaped like the course's, under ``tmp_path``).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
TEACHING = COURSE / "teaching"
CHAPTERS = [f"ch{n:02d}" for n in range(1, 11)]

sys.path.insert(0, str(COURSE))
from teaching import feedback  # noqa: E402

#: Chinese characters (CJK unified ideographs) and the full-width punctuation the hints use.
CJK = re.compile(r"[\u4e00-\u9fff]")
#: A hint that starts by naming the answer it is about: ``mse_constant: ...``, ``relative_errors['{name}']: ...``.
NAMED = re.compile(r"^([A-Za-z_]\w*(?:, [A-Za-z_]\w*)*(?:\[[^\]]*\])?)(?: \(|:)")


def module(chapter):
    return importlib.import_module(f"teaching.{chapter}")


@pytest.fixture
def english_dir(tmp_path, monkeypatch):
    """A working directory like an English notebook's: ``.../course``."""
    path = tmp_path / "lossjit" / "course"
    path.mkdir(parents=True)
    monkeypatch.chdir(path)
    return path


@pytest.fixture
def chinese_dir(tmp_path, monkeypatch):
    """A working directory like a Chinese notebook's: ``.../course/zh``."""
    path = tmp_path / "lossjit" / "course" / "zh"
    path.mkdir(parents=True)
    monkeypatch.chdir(path)
    return path


def to_chinese(english_dir, monkeypatch):
    """Move from ``.../course`` to ``.../course/zh``."""
    (english_dir / "zh").mkdir(exist_ok=True)
    monkeypatch.chdir(english_dir / "zh")


# ---------------------------------------------------------------------------------------------------------------
# The language of the working directory.


@pytest.mark.parametrize("parts, language", [
    (("course", "zh"), "zh"),
    (("course", "zh", "solutions"), "zh"),
    (("course",), "en"),
    (("course", "solutions"), "en"),
    (("zh",), "en"),                          # a folder named zh elsewhere
    (("zh", "course"), "en"),                 # the pair the wrong way round
    (("course_zh",), "en"),                   # text, not a path component
    (("course", "zhx"), "en"),
    (("course", "teaching", "zh"), "en"),     # zh must follow course directly
])
def test_reader_language(tmp_path, monkeypatch, parts, language):
    path = tmp_path.joinpath("repo", *parts)
    path.mkdir(parents=True)
    assert feedback.reader_language(path) == language
    monkeypatch.chdir(path)
    assert feedback.reader_language() == language


def test_reader_language_of_the_real_editions():
    assert feedback.reader_language(COURSE) == "en"
    assert feedback.reader_language(COURSE / "solutions") == "en"
    assert feedback.reader_language(COURSE / "zh") == "zh"
    assert feedback.reader_language(COURSE / "zh" / "solutions") == "zh"


def test_verdict_in_both_languages(english_dir, monkeypatch, capsys):
    assert feedback.verdict(True, "", "") is True
    assert feedback.verdict(False, "look again.", "再看一遍。") is False
    assert capsys.readouterr().out == "Correct.\nNot yet: look again.\n"
    to_chinese(english_dir, monkeypatch)
    assert feedback.verdict(1, "", "") is True
    assert feedback.verdict(0, "look again.", "再看一遍。") is False
    assert capsys.readouterr().out == "正确。\n还不对：再看一遍。\n"


# ---------------------------------------------------------------------------------------------------------------
# Statically: every verdict call of every check module gives both hints.


def literal_text(node):
    """The literal text of a hint expression (string constants, f-string literal parts, ``+`` of them); the
    replacement fields and other expressions count as ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(literal_text(value) if isinstance(value, ast.Constant) else "{}" for value in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return literal_text(node.left) + literal_text(node.right)
    return "{}"


def verdict_calls():
    """``(chapter, line, English hint node, Chinese hint node or None)`` for every ``verdict`` call."""
    calls = []
    for chapter in CHAPTERS:
        tree = ast.parse((TEACHING / f"{chapter}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "verdict":
                assert not node.keywords, f"{chapter}.py:{node.lineno}: pass the hints positionally"
                args = node.args + [None] * (3 - len(node.args))
                calls.append((chapter, node.lineno, args[1], args[2]))
    return calls


CALLS = verdict_calls()


def test_every_module_has_checks():
    assert {chapter for chapter, *_ in CALLS} == set(CHAPTERS)


@pytest.mark.parametrize("chapter, line, english, chinese", CALLS,
                         ids=[f"{chapter}:{line}" for chapter, line, *_ in CALLS])
def test_verdict_call_gives_both_hints(chapter, line, english, chinese):
    assert chinese is not None, f"{chapter}.py:{line}: verdict(correct, hint, hint_zh) needs the Chinese hint"
    en, zh = literal_text(english), literal_text(chinese)
    if en == "":   # the "Correct." call
        assert zh == "", f"{chapter}.py:{line}: no hint in English, none in Chinese either"
        return
    assert not CJK.search(en), f"{chapter}.py:{line}: the English hint is in English"
    assert len(CJK.findall(zh)) >= 2, f"{chapter}.py:{line}: the Chinese hint is in Chinese: {zh!r}"
    named = NAMED.match(en)
    if named:   # "mse_constant: ..." becomes "mse_constant：..."; "loss (...): ..." becomes "loss（...）：..."
        assert zh.startswith(named.group(1)), f"{chapter}.py:{line}: {zh!r} names {named.group(1)!r} first"
    for call in re.findall(r"\b(?:lj|np)(?:\.\w+)+", en):   # the functions a hint points at stay named
        assert call in zh, f"{chapter}.py:{line}: the Chinese hint should mention {call}"


# ---------------------------------------------------------------------------------------------------------------
# Dynamically: every check, given a wrong answer, says "not yet" in the reader's language.

Y_TRUE = np.array([1.0, 2.0, 3.0], dtype=np.float32)
Y_PRED = np.array([1.5, 1.5, 2.0], dtype=np.float32)


def _raises(*_):
    raise ZeroDivisionError("division by zero")


#: For every check: arguments that are wrong (mostly the notebooks' starter ``None``s).
WRONG = {
    "ch01": {"check_constants": (None,) * 4, "check_outlier_shift": (None,) * 3,
             "check_huber_deltas": (None,) * 3, "check_third_classifier": (0.75, None, None)},
    "ch02": {"check_w_star": (None,) * 2, "check_sum_reduction": (None,) * 2, "check_soft_target": (None,) * 2,
             "check_gaussian_nll": (None,) * 3},
    "ch03": {"check_critical_rate": (None,) * 2, "check_steps_to_tolerance": (None,),
             "check_sum_learning_rate": (None,), "check_optimal_rate": (None,) * 2},
    "ch04": {"check_huber_gradient": (None,), "check_categorical": (None,) * 2, "check_two_readings": (None,) * 2,
             "check_laplace_constant": (None,), "check_clip_logit": (None,)},
    "ch05": {"check_largest_rate": (None,) * 3, "check_patience": (None,), "check_sum_reduction": (None,) * 2,
             "check_l2_matches_sklearn": (None,) * 2},
    "ch06": {"check_delta_sweep": (None,) * 2, "check_confused_pair": (None,), "check_threshold": (None,) * 2,
             "check_pixel_weights": (None,) * 2, "check_true_perplexity": (None,)},
    "ch07": {"check_keras_mean": (None, None, Y_TRUE, Y_PRED, np.ones(3)),
             "check_float32_sums": (None, None, Y_TRUE, Y_PRED), "check_clipping": (None,) * 2,
             "check_huber_stationarity": (None, None, np.ones((3, 1)), Y_TRUE),
             "check_dask_weighted_mse": (None, None, Y_TRUE, Y_PRED, np.ones(3))},
    "ch08": {"check_smoothing_gap": (None,) * 2, "check_focal_ratio": (None,),
             "check_symmetric_info_nce": (_raises, None), "check_pinball": (None,) * 2,
             "check_base_rate": (None, None, np.array([0.0, 1.0]), np.array([1.0, 1.0]))},
    "ch09": {"check_balancing_weight": (None,) * 2, "check_log_cosh_asymptotes": (None,) * 2,
             "check_ctc_repeated_label": (None,) * 3, "check_no_curvature": (None,) * 2},
    "ch10": {"check_log_cosh_loss": (None,), "check_fast_kernel": (None,), "check_bytes_per_element": (None,) * 2},
}
CHECKS = [(chapter, name) for chapter in CHAPTERS for name in WRONG[chapter]]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_check_is_tried(chapter):
    names = {name for name, function in inspect.getmembers(module(chapter), inspect.isfunction)
             if name.startswith("check_") and function.__module__ == f"teaching.{chapter}"}
    assert names == set(WRONG[chapter])


@pytest.mark.parametrize("chapter, name", CHECKS, ids=[f"{c}.{n}" for c, n in CHECKS])
def test_wrong_answer_in_english(chapter, name, english_dir, capsys):
    assert getattr(module(chapter), name)(*WRONG[chapter][name]) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and out.endswith("\n") and out.count("\n") == 1
    assert not CJK.search(out) and "还不对" not in out


@pytest.mark.parametrize("chapter, name", CHECKS, ids=[f"{c}.{n}" for c, n in CHECKS])
@pytest.mark.parametrize("where", [(), ("solutions",)], ids=["zh", "zh-solutions"])
def test_wrong_answer_in_chinese(chapter, name, where, chinese_dir, monkeypatch, capsys):
    folder = chinese_dir.joinpath(*where)
    folder.mkdir(exist_ok=True)
    monkeypatch.chdir(folder)
    assert getattr(module(chapter), name)(*WRONG[chapter][name]) is False
    out = capsys.readouterr().out
    assert out.startswith("还不对：") and out.endswith("\n") and out.count("\n") == 1
    assert len(CJK.findall(out[len("还不对："):])) >= 2
    assert "Not yet" not in out


#: Hints as the English notebooks' stored outputs show them (the starter cells' ``None``s), and their Chinese.
KNOWN = [
    ("ch01", "check_constants", (None,) * 4,
     "Not yet: mse_constant: set the derivative (2/n) sum_i (c - y_i) to zero, or search a grid of c with "
     "lj.mse(y, np.full_like(y, c)).\n",
     "还不对：mse_constant：令导数 (2/n) sum_i (c - y_i) 等于零，或者用 lj.mse(y, np.full_like(y, c)) "
     "在 c 的网格上搜索。\n"),
    ("ch01", "check_third_classifier", (None,) * 3,
     "Not yet: accuracy: the share of examples whose probability is on the right side of 0.5.\n",
     "还不对：accuracy：概率落在 0.5 正确一侧的样本所占的比例。\n"),
    ("ch04", "check_clip_logit", (None,),
     "Not yet: z_limit: solve sigmoid(z) = 1 - eps for z (invert the sigmoid: z = log(p / (1 - p))), "
     "with eps = lj.EPSILON.\n",
     "还不对：z_limit：解方程 sigmoid(z) = 1 - eps 求出 z（求 sigmoid 函数的反函数：z = log(p / (1 - p))），"
     "其中 eps = lj.EPSILON。\n"),
    ("ch07", "check_dask_weighted_mse", (None, None, Y_TRUE, Y_PRED, np.ones(3)),
     "Not yet: lazy_loss: a 0-d Dask array: call lj.mse on the Dask arrays with compute=False (without it, the "
     "call computes the value and returns a NumPy number).\n",
     "还不对：lazy_loss：一个 0 维的 Dask 数组：在 Dask 数组上调用 lj.mse 并传入 compute=False（不传时，调用会直接算出值，"
     "返回一个 NumPy 数）。\n"),
    ("ch08", "check_focal_ratio", (None,),
     "Not yet: ratio: each example keeps the factor (1 - p_t)^gamma of its cross-entropy; divide the factor "
     "at p_t = 0.5 by the factor at p_t = 0.9.\n",
     "还不对：ratio：每个样本保留其交叉熵的 (1 - p_t)^gamma 倍；用 p_t = 0.5 处的因子除以 p_t = 0.9 处的因子。\n"),
    ("ch08", "check_symmetric_info_nce", (None, None),
     "Not yet: loss (not a function yet, on a 12 x 12 S): a function of S returning one number, the mean of "
     "lj.cross_entropy(labels, S, from_logits=True) and the same on S.T, with labels np.arange(len(S)).\n",
     "还不对：loss（还不是函数，在 12 x 12 的 S 上）：应是 S 的函数，返回一个数，即 "
     "lj.cross_entropy(labels, S, from_logits=True) 与在 S.T 上同样计算的结果的平均，标签为 np.arange(len(S))。\n"),
    ("ch06", "check_delta_sweep", ({delta: 0.0 for delta in (0.25, 0.5, 1.0, 1.345, 2.0, 4.0, 8.0)}, None),
     "Not yet: test_rmse_by_delta: the value for delta = 0.25 is off. Fit with the chapter's "
     "fit_regression(lj.huber, y_corrupted, learning_rate=0.2, n_epochs=4000, delta=delta) and measure the "
     "RMSE on the clean test targets y_test.\n",
     "还不对：test_rmse_by_delta：delta = 0.25 的值不对。用本章的 fit_regression(lj.huber, y_corrupted, "
     "learning_rate=0.2, n_epochs=4000, delta=delta) 拟合，并在干净的测试目标 y_test 上计算 RMSE。\n"),
    ("ch09", "check_no_curvature", (0.0, "z"),
     "Not yet: reason: give one of the letters a, b, c (print(NEWTON_REASONS) lists them).\n",
     "还不对：reason：给出字母 a、b、c 之一（print(NEWTON_REASONS) 会列出它们）。\n"),
    ("ch10", "check_fast_kernel", (None,),
     "Not yet: fast_huber: a function compiled by Numba (decorated with @njit, or @njit(parallel=True) with "
     "prange), taking (y, p, delta, out) like slow_huber.\n",
     "还不对：fast_huber：一个由 Numba 编译的函数（用 @njit 装饰，或用 @njit(parallel=True) 配合 prange），"
     "和 slow_huber 一样接受 (y, p, delta, out)。\n"),
]


@pytest.mark.parametrize("chapter, name, arguments, english, chinese", KNOWN,
                         ids=[f"{c}.{n}" for c, n, *_ in KNOWN])
def test_known_hints(chapter, name, arguments, english, chinese, english_dir, monkeypatch, capsys):
    check = getattr(module(chapter), name)
    check(*arguments)
    assert capsys.readouterr().out == english
    to_chinese(english_dir, monkeypatch)
    check(*arguments)
    assert capsys.readouterr().out == chinese


def test_known_english_hints_are_the_stored_outputs():
    """The English hints above are the ones the English notebooks show (where they show them)."""
    stored = "".join(path.read_text(encoding="utf-8") for path in sorted(COURSE.glob("[0-9][0-9]_*.ipynb")))
    for chapter, name, arguments, english, _ in KNOWN:
        if chapter in ("ch01", "ch04", "ch08", "ch10") and arguments.count(None) == len(arguments):
            assert english.rstrip("\n").replace('"', '\\"') in stored, english


def test_a_raising_function_is_reported_in_both_languages(english_dir, monkeypatch, capsys):
    ch08 = module("ch08")
    ch08.check_symmetric_info_nce(_raises, None)
    assert "(it raised ZeroDivisionError: division by zero, on a 12 x 12 S)" in capsys.readouterr().out
    to_chinese(english_dir, monkeypatch)
    ch08.check_symmetric_info_nce(_raises, None)
    assert "（它抛出了 ZeroDivisionError：division by zero，在 12 x 12 的 S 上）" in capsys.readouterr().out


def test_correct_in_both_languages(english_dir, monkeypatch, capsys):
    ch04 = module("ch04")
    assert ch04.check_laplace_constant(math.log(2)) is True
    assert capsys.readouterr().out == "Correct.\n"
    to_chinese(english_dir, monkeypatch)
    assert ch04.check_laplace_constant(math.log(2)) is True
    assert capsys.readouterr().out == "正确。\n"
