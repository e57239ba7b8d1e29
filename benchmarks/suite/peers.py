"""What lossjit is timed against: NumPy's formulas, PyTorch's and scikit-learn's calls.

The NumPy formulas are the fast vectorised ones a user would write, run in the inputs'
dtype (float32 stays float32), each intermediate computed once: the peer to beat. They
are not ``tests/reference.py``'s float64 references, which convert to float64 and return
the hessian too (that would time something else); ``tests/test_benchmark_script.py``
checks each formula's value and gradient against those references.
A formula ``(y, p, grad)`` returns the mean loss, and with ``grad`` also its gradient.
"""

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # PyTorch is optional: its columns are then left out
    torch = F = None
try:
    from sklearn import metrics as sk
except ImportError:
    sk = None


# -- pointwise losses, mean and gradient -----------------------------------------------------------------

def mse(y, p, grad):
    d = p - y
    loss = np.mean(d * d)
    return (loss, d * (2.0 / d.size)) if grad else loss


def mae(y, p, grad):
    d = p - y
    loss = np.mean(np.abs(d))
    return (loss, np.sign(d) / d.size) if grad else loss


def huber(y, p, grad, delta=1.0):
    d = p - y
    a = np.abs(d)
    loss = np.mean(np.where(a <= delta, 0.5 * d * d, delta * (a - 0.5 * delta)))
    return (loss, np.clip(d, -delta, delta) / d.size) if grad else loss


def bce_logits(y, z, grad):
    e = np.exp(-np.abs(z))
    loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(e))
    if not grad:
        return loss
    sigmoid = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return loss, (sigmoid - y) / z.size


def bce_probabilities(y, p, grad, eps=1e-7):
    q = np.clip(p, eps, 1 - eps)
    loss = -np.mean(y * np.log(q) + (1 - y) * np.log1p(-q))
    return (loss, (q - y) / (q * (1 - q)) / p.size) if grad else loss


def log_cosh(y, p, grad):
    d = p - y
    loss = np.mean(np.logaddexp(d, -d) - np.log(2.0))
    return (loss, np.tanh(d) / d.size) if grad else loss


def quantile(y, p, grad, q=0.5):
    d = y - p
    loss = np.mean(np.maximum(q * d, (q - 1) * d))
    return (loss, np.where(d > 0, -q, 1 - q) / d.size) if grad else loss


def poisson_log(y, p, grad):
    rate = np.exp(p)
    loss = np.mean(rate - y * p)
    return (loss, (rate - y) / p.size) if grad else loss


def smooth_l1(y, p, grad, beta=1.0):
    d = p - y
    a = np.abs(d)
    loss = np.mean(np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta))
    return (loss, np.clip(d / beta, -1, 1) / d.size) if grad else loss


def hinge(y, p, grad):
    signed = 2 * y - 1
    margin = 1 - signed * p
    loss = np.mean(np.maximum(margin, 0))
    return (loss, np.where(margin > 0, -signed, 0) / p.size) if grad else loss


def squared_hinge(y, p, grad):
    signed = 2 * y - 1
    margin = np.maximum(1 - signed * p, 0)
    loss = np.mean(margin * margin)
    return (loss, -2 * signed * margin / p.size) if grad else loss


def focal(y, p, grad, gamma=2.0, eps=1e-7):
    q = np.clip(p, eps, 1 - eps)
    p_true = np.where(y == 1, q, 1 - q)
    log_p_true = np.log(p_true)
    loss = np.mean(-(1 - p_true) ** gamma * log_p_true)
    if not grad:
        return loss
    d_p_true = gamma * (1 - p_true) ** (gamma - 1) * log_p_true - (1 - p_true) ** gamma / p_true
    return loss, np.where(y == 1, d_p_true, -d_p_true) / p.size


def kl_divergence(y, p, grad, eps=1e-7):
    q = np.maximum(p, eps)
    loss = np.mean(np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / q), 0))
    return (loss, np.where(p >= eps, -y / q, 0) / p.size) if grad else loss


# -- pointwise losses per element (reduction="none"), each intermediate computed once ------------------

def mse_losses(y, p):
    d = p - y
    return d * d


def mae_losses(y, p):
    return np.abs(p - y)


def huber_losses(y, p, delta=1.0):
    d = p - y
    a = np.abs(d)
    return np.where(a <= delta, 0.5 * d * d, delta * (a - 0.5 * delta))


def bce_logits_losses(y, z):
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


def bce_probabilities_losses(y, p, eps=1e-7):
    q = np.clip(p, eps, 1 - eps)
    return -(y * np.log(q) + (1 - y) * np.log1p(-q))


# -- softmax losses of logits, mean over rows and gradient ----------------------------------------------

def cross_entropy(labels, z, grad):
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(z.shape[0])
    loss = np.mean(np.log(total[:, 0]) - shifted[rows, labels])
    if not grad:
        return loss
    softmax = exp / total
    softmax[rows, labels] -= 1
    return loss, softmax / z.shape[0]


def soft_cross_entropy(targets, z, grad):
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(targets * (shifted - np.log(total)), axis=1))
    if not grad:
        return loss
    return loss, (exp / total * targets.sum(axis=1, keepdims=True) - targets) / z.shape[0]


def softmax_focal(labels, z, grad, gamma=2.0):
    """-(1 - p_y)^gamma log p_y averaged over rows; gradient b_y (softmax - onehot), b_y the module's slope."""
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(z.shape[0])
    log_p = shifted[rows, labels] - np.log(total[:, 0])
    p = np.exp(log_p)
    m = 1 - p
    loss = np.mean(-m**gamma * log_p)
    if not grad:
        return loss
    slope = m**gamma * (1 - gamma * p * log_p / m) / z.shape[0]
    softmax = exp / total
    softmax[rows, labels] -= 1
    return loss, softmax * slope[:, None]


# -- PyTorch calls ---------------------------------------------------------------------------------------

def torch_loss(torch_name, y, p, grad):
    """A call of torch's loss (forward, or forward and backward) on y and p."""
    function = getattr(F, torch_name)
    target = torch.from_numpy(y)
    if not grad:
        prediction = torch.from_numpy(p)

        def forward():
            with torch.no_grad():
                return function(prediction, target).item()
        return forward
    prediction = torch.from_numpy(p.copy()).requires_grad_(True)

    def forward_backward():
        prediction.grad = None
        out = function(prediction, target)
        out.backward()
        return out.item(), prediction.grad
    return forward_backward


def torch_losses(torch_name, y, p):
    """A call of torch's per-element losses (``reduction="none"``, forward) on y and p."""
    function, target, prediction = getattr(F, torch_name), torch.from_numpy(y), torch.from_numpy(p)

    def forward():
        with torch.no_grad():
            return function(prediction, target, reduction="none")
    return forward


def torch_cross_entropy(y_true, z, grad):
    """A call of ``F.cross_entropy`` (forward, or forward and backward) on logits z and class indices or
    probabilities y_true."""
    target = torch.from_numpy(y_true)
    if grad:
        logits = torch.from_numpy(z.copy()).requires_grad_(True)

        def forward_backward():
            logits.grad = None
            out = F.cross_entropy(logits, target)
            out.backward()
            return out.item(), logits.grad
        return forward_backward
    logits = torch.from_numpy(z)

    def forward():
        with torch.no_grad():
            return F.cross_entropy(logits, target).item()
    return forward


def torch_ctc(logits, targets, input_lengths, target_lengths, grad):
    """A call of ``log_softmax`` + ``F.ctc_loss`` (forward, or forward and backward) on (T, N, C) logits."""
    z, tt, il, tl = (torch.from_numpy(a) for a in (logits, targets, input_lengths, target_lengths))
    if grad:
        leaf = z.clone().requires_grad_(True)

        def forward_backward():
            leaf.grad = None
            out = F.ctc_loss(leaf.log_softmax(2), tt, il, tl)
            out.backward()
            return out.item(), leaf.grad
        return forward_backward

    def forward():
        with torch.no_grad():
            return F.ctc_loss(z.log_softmax(2), tt, il, tl).item()
    return forward


# -- catalogue two (issue 25): forward and every differentiable input's gradient -------------------------

def torch_info_nce(x1, x2, temperature=0.07, symmetric=False):
    """A call of InfoNCE's forward and ``torch.autograd.grad`` for x1 and x2, the same maths as ``lj.info_nce``:
    rows divided by their norms (squared norms clipped at the dtype's epsilon, as lossjit and optax do), logits
    ``u @ v.T / temperature``, ``F.cross_entropy(logits, arange(N))`` (CLIP's mean with the transposed logits
    when symmetric). Returns (value, (grad x1, grad x2))."""
    a, b = (torch.from_numpy(x).requires_grad_(True) for x in (x1, x2))
    labels = torch.arange(x1.shape[0])
    eps = torch.finfo(a.dtype).eps

    def forward_backward():
        u = a / torch.sqrt(torch.clamp((a * a).sum(1, keepdim=True), min=eps))
        v = b / torch.sqrt(torch.clamp((b * b).sum(1, keepdim=True), min=eps))
        logits = u @ v.T / temperature
        loss = F.cross_entropy(logits, labels)
        if symmetric:
            loss = (loss + F.cross_entropy(logits.T, labels)) / 2
        return loss.item(), torch.autograd.grad(loss, (a, b))
    return forward_backward


def torch_triplet_margin(anchor, positive, negative):
    """A call of ``F.triplet_margin_loss`` (margin 1, p 2, eps 1e-6: lossjit's defaults) and
    ``torch.autograd.grad`` for the anchor, positive and negative. Returns (value, grads)."""
    tensors = [torch.from_numpy(x).requires_grad_(True) for x in (anchor, positive, negative)]

    def forward_backward():
        loss = F.triplet_margin_loss(*tensors)
        return loss.item(), torch.autograd.grad(loss, tensors)
    return forward_backward


def torch_cosine_embedding(labels, x1, x2):
    """A call of ``F.cosine_embedding_loss`` (margin 0, lossjit's default) on labels of +1 and -1 and
    ``torch.autograd.grad`` for x1 and x2. Returns (value, grads)."""
    target = torch.from_numpy(labels)
    tensors = [torch.from_numpy(x).requires_grad_(True) for x in (x1, x2)]

    def forward_backward():
        loss = F.cosine_embedding_loss(*tensors, target)
        return loss.item(), torch.autograd.grad(loss, tensors)
    return forward_backward
