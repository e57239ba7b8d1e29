"""Exercise checks of chapter 06 (applications): each says right or not yet, with a hint, never the answer.

The expected values come from the worked solutions (``solutions/06_solutions.ipynb``), which compute them
with the chapter's data, seeds and training settings and assert that these checks accept them.
"""

import math

from .feedback import close, verdict

#: Exercise 1: the deltas to try.
DELTAS = (0.25, 0.5, 1.0, 1.345, 2.0, 4.0, 8.0)

# Exercise 1: the Huber fit's test RMSE for each delta (chapter settings: learning_rate=0.2, n_epochs=4000).
_HUBER_TEST_RMSE = {0.25: 58.34840903017421, 0.5: 58.6739111629216, 1.0: 59.30442103427732,
                    1.345: 60.88177961164599, 2.0: 65.12394189201798, 4.0: 75.79216707880147,
                    8.0: 75.86214954457931}
# Exercise 3: test precision and recall (44 of 67 called, 44 of 45 nines found).
_THRESHOLD_SCORES = (44 / 67, 44 / 45)
# Exercise 4: the square's test IoU and the pixel accuracy with inverse-share class weights.
_WEIGHTED_SEGMENTATION = (0.44954128440366975, 0.8897569444444444)
# Exercise 5: the test perplexity of the true transition matrix.
_TRUE_PERPLEXITY = 3.5600496872880214


def _number(value):
    """``value`` as a finite float, or None."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def check_delta_sweep(test_rmse_by_delta, best_delta):
    """Exercise 1: ``{delta: test RMSE}`` of the Huber fit for every delta of ``DELTAS``, and the best delta."""
    if not isinstance(test_rmse_by_delta, dict) or set(test_rmse_by_delta) != set(DELTAS):
        return verdict(False, "test_rmse_by_delta: a dict with one entry per delta in "
                              f"{DELTAS}, each the test RMSE (original units) of a Huber fit.",
                              f"test_rmse_by_delta：一个字典，{DELTAS} 中每个 delta 一项，"
                              "值为该 delta 下 Huber 拟合的测试 RMSE（原始单位）。")
    wrong = [delta for delta in DELTAS
             if not close(test_rmse_by_delta[delta], _HUBER_TEST_RMSE[delta], rtol=0.0, atol=0.01)]
    if wrong:
        return verdict(False, f"test_rmse_by_delta: the value for delta = {wrong[0]} is off. Fit with the "
                              "chapter's fit_regression(lj.huber, y_corrupted, learning_rate=0.2, n_epochs=4000, "
                              "delta=delta) and measure the RMSE on the clean test targets y_test.",
                              f"test_rmse_by_delta：delta = {wrong[0]} 的值不对。用本章的 "
                              "fit_regression(lj.huber, y_corrupted, learning_rate=0.2, n_epochs=4000, delta=delta) "
                              "拟合，并在干净的测试目标 y_test 上计算 RMSE。")
    if not close(best_delta, min(_HUBER_TEST_RMSE, key=_HUBER_TEST_RMSE.get), rtol=0.0, atol=0.0):
        return verdict(False, "best_delta: the delta whose test RMSE is the smallest (the key, not the RMSE).",
                              "best_delta：测试 RMSE 最小的那个 delta（是键，而不是 RMSE）。")
    return verdict(True, "", "")


def check_confused_pair(pair):
    """Exercise 2: the two digits (in either order) the classifier confuses most often on the test set."""
    try:
        digits = sorted(int(d) for d in pair)
    except (TypeError, ValueError):
        return verdict(False, "pair: two digits, e.g. (3, 5), in either order.",
                              "pair：两个数字，例如 (3, 5)，顺序不限。")
    if len(digits) != 2 or digits[0] == digits[1]:
        return verdict(False, "pair: two different digits, e.g. (3, 5).",
                              "pair：两个不同的数字，例如 (3, 5)。")
    if digits != [1, 8]:
        return verdict(False, "pair: add the confusion matrix to its transpose (an a read as b and a b read as a "
                              "count for the same pair), keep the part above the diagonal, take its argmax.",
                              "pair：把混淆矩阵与它的转置相加（a 被认成 b 和 b 被认成 a 算作同一对），"
                              "保留对角线以上的部分，取其 argmax。")
    return verdict(True, "", "")


def check_threshold(test_precision, test_recall):
    """Exercise 3: the unweighted model's test precision and recall at the logit threshold chosen on the
    training set (the largest one whose training recall reaches the balanced model's training recall)."""
    precision, recall = _number(test_precision), _number(test_recall)
    if precision is None or recall is None:
        return verdict(False, "give two numbers between 0 and 1: test precision and test recall.",
                              "请给出两个 0 到 1 之间的数：测试精确率和测试召回率。")
    if not close(recall, _THRESHOLD_SCORES[1], rtol=0.0, atol=1e-3):
        return verdict(False, "test_recall: choose the threshold on the training logits (never the test set): "
                              "lower it from the largest logit of a training nine until the training recall "
                              "reaches the balanced model's training recall; then call 'logit >= threshold' a 9 "
                              "on the test set.",
                              "test_recall：在训练集的 logit 上选阈值（绝不用测试集）：从训练集中数字 9 的最大 logit "
                              "开始往下调，直到训练召回率达到平衡模型的训练召回率；然后在测试集上把 'logit >= "
                              "threshold' 判为 9。")
    if not close(precision, _THRESHOLD_SCORES[0], rtol=0.0, atol=1e-3):
        return verdict(False, "test_precision: your recall is right; compute precision with the same threshold "
                              "on the test logits (precision_score(is_nine_test, called)).",
                              "test_precision：你的召回率是对的；用同一个阈值在测试集的 logit "
                              "上计算精确率（precision_score(is_nine_test, called)）。")
    return verdict(True, "", "")


def check_pixel_weights(square_iou, pixel_accuracy):
    """Exercise 4: the square's test IoU and the test pixel accuracy with class weights proportional to the
    inverse pixel share of each class in the training masks."""
    iou, accuracy = _number(square_iou), _number(pixel_accuracy)
    if iou is None or accuracy is None:
        return verdict(False, "give two numbers between 0 and 1: the square's IoU and the pixel accuracy.",
                              "请给出两个 0 到 1 之间的数：正方形的交并比（IoU）和像素准确率。")
    if not close(accuracy, _WEIGHTED_SEGMENTATION[1], rtol=0.0, atol=1e-3):
        return verdict(False, "pixel_accuracy: weights masks_train.size / np.bincount(masks_train.ravel()) passed "
                              "as class_weight to lj.cross_entropy(..., axis=1); retrain 300 steps with step 2.0 "
                              "from zero, then compare the argmax over axis 1 with masks_test.",
                              "pixel_accuracy：把权重 masks_train.size / np.bincount(masks_train.ravel()) 作为 "
                              "class_weight 传给 lj.cross_entropy(..., axis=1)；从零开始以步长 2.0 重新训练 300 步，"
                              "再把沿 axis 1 的 argmax 与 masks_test 比较。")
    if not close(iou, _WEIGHTED_SEGMENTATION[0], rtol=0.0, atol=1e-3):
        return verdict(False, "square_iou: pixels predicted 2 and truly 2, divided by pixels predicted 2 or "
                              "truly 2, on the test images.",
                              "square_iou：在测试图像上，预测为 2 且真实为 2 的像素数，除以预测为 2 或真实为 2 "
                              "的像素数。")
    return verdict(True, "", "")


def check_true_perplexity(true_perplexity):
    """Exercise 5: the test perplexity of the true transition matrix (masked mean over real tokens)."""
    if not close(true_perplexity, _TRUE_PERPLEXITY, rtol=1e-6):
        return verdict(False, "true_perplexity: use the true transition probabilities as the model (their logs "
                              "are logits; a row for the pad input is never scored), then exponentiate the "
                              "masked mean cross-entropy over the test tokens.",
                              "true_perplexity：把真实的转移概率当作模型（它们的对数就是 logit；"
                              "填充输入对应的那一行从不计分），再对测试词元上的掩码平均交叉熵取指数。")
    return verdict(True, "", "")
