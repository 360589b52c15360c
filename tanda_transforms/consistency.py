"""Consistency training with a policy: put unlabeled images to work in the end model.

A classifier should give the same prediction for an image whatever label-preserving
transformation it went through. The *transformation-regularisation* term (Sajjadi, Javanmardi
and Tasdizen, NIPS 2016; the term TANDA's reference implementation adds to its CIFAR-10 end
models, HazyResearch/tanda ``Discriminator._tr_term``) measures how much it does not: each
unlabeled image is transformed several times independently, every copy goes through the
model, and the term is the squared distance between the softmax outputs of the copies. Added
to the supervised loss with a weight, it trains the model on images that have no label. A
policy that keeps images realistic and label-preserving (a learned :class:`TANDAPolicy`) is
what such a term needs: a transformation that changes the class teaches the model to ignore
the class.

Two forms (``target``):

``"pairs"`` (default)
    The reference's term: the mean, over the pairs of copies and the images of the batch, of
    ``||softmax(f(t_i(x))) - softmax(f(t_j(x)))||^2``; gradients flow through every copy. It
    is the default because it is the form the paper's CIFAR-10 runs used; whether the other
    form does better here is still to be measured (issue 16).
``"detached"``
    The form of UDA (Xie et al. 2020) and FixMatch-style training: the prediction on the
    untransformed image is the target, computed without gradient (``torch.no_grad``), and each
    transformed copy is pulled towards it with the KL divergence ``KL(target || copy)``
    (default) or the squared distance (``divergence="mse"``). One copy is enough.

Scale: the reference divides the sum over pairs by the number of passes instead of averaging
over pairs, so its value is ``(passes - 1) / 2`` times this one: its ``ls_term`` 0.1 with
``ls_term_n_passes`` 1 (two copies) is a weight of 0.05 here.

The end-model harness uses this term with the unlabeled rest of its training pool (see
:mod:`tanda_transforms.evaluation.semi`).

Examples
--------
>>> import torch
>>> from torch import nn
>>> from tanda_transforms import TANDAPolicy
>>> model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 10))
>>> unlabeled = torch.rand(4, 3, 8, 8)                # a batch, float in [0, 1]
>>> policy = TANDAPolicy("cifar10", seq_len=2, seed=0)
>>> loss = consistency_loss(model, unlabeled, policy, passes=2, seed=0)
>>> loss.shape, bool(loss > 0)
(torch.Size([]), True)
>>> loss.backward()                                   # gradients reach the model's weights
>>> model[1].weight.grad.abs().sum().item() > 0
True
>>> consistency_loss(model, unlabeled, lambda image: image).item()  # identical copies
0.0
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from tanda_transforms.seeding import reseed

__all__ = ["DIVERGENCES", "TARGETS", "check_settings", "consistency_loss", "consistency_term"]

#: The two forms of the term (see the module docstring).
TARGETS: tuple[str, ...] = ("pairs", "detached")
#: How a copy's prediction is compared with the other's (or the target's).
DIVERGENCES: tuple[str, ...] = ("mse", "kl")

Transform = Callable[[torch.Tensor], torch.Tensor]
Preprocess = Callable[[torch.Tensor], torch.Tensor]


def consistency_loss(
    model: nn.Module,
    unlabeled: torch.Tensor,
    transform: Transform,
    passes: int = 2,
    *,
    target: str = "pairs",
    divergence: str | None = None,
    preprocess: Preprocess | None = None,
    seed: int | None = None,
    per_image: bool = True,
) -> torch.Tensor:
    """The consistency term of an unlabeled batch under ``transform`` (see the module doc).

    Parameters
    ----------
    model
        The classifier being trained; it maps a batch ``B x C x H x W`` to logits ``B x K``.
        Call it in training mode, as the reference did: each copy is its own forward pass, so
        batch-norm layers use each copy's own statistics and dropout draws afresh.
    unlabeled
        The images ``B x C x H x W`` (``B >= 1``), in what ``transform`` takes: ``uint8``, or
        ``float32`` in [0, 1] for a :class:`~tanda_transforms.TANDAPolicy`.
    transform
        Applied to each image ``C x H x W`` on its own, once per pass (a ``TANDAPolicy``, a
        ``torchvision.transforms.v2`` transform or any callable), returning a tensor of the
        same shape and dtype. With ``per_image=False`` it gets the whole batch instead (a
        batched augmentation that draws per image, such as ``policy.batched()``).
    passes
        Transformed copies of each image: at least 2 for ``target="pairs"``, 1 for
        ``"detached"``.
    target
        ``"pairs"`` (default, the reference's form) or ``"detached"`` (pull each copy towards
        the prediction on the untransformed image, computed without gradient).
    divergence
        ``"mse"`` (squared distance between softmax outputs) or ``"kl"`` (``KL(target ||
        copy)``, ``"detached"`` only). Default: ``"mse"`` for ``"pairs"``, ``"kl"`` for
        ``"detached"``.
    preprocess
        Applied to every transformed batch (and to the untransformed one) before the model,
        e.g. normalisation. Default: ``uint8`` batches are scaled to [0, 1], float batches go
        in as they are.
    seed
        ``None`` (default): the transform draws from its own stream (a policy's, or torch's
        global generator for torchvision's), continuing from call to call. An int restarts the
        transform's stream (its ``manual_seed``) and torch's CPU generator from ``seed`` for
        the transformations only (the global generator is restored afterwards): the same seed
        gives the same copies, so pass a new one each training step (e.g. the step number).
    per_image
        Transform each image on its own (default) or the batch at once.

    Returns
    -------
    torch.Tensor
        A scalar: add ``weight * loss`` to the supervised loss.

    Raises
    ------
    TypeError
        ``unlabeled`` is not a tensor, or ``transform`` returned something else than a tensor
        of its input's shape and dtype.
    ValueError
        An empty batch or one that is not ``B x C x H x W``, too few ``passes``, an unknown
        ``target`` or ``divergence``, or a model that does not return ``B x K`` logits.
    """
    divergence = check_settings(passes, target, divergence)
    _check_batch(unlabeled, "unlabeled", images=True)
    with _transform_stream(transform, seed):
        copies = [_transform_batch(transform, unlabeled, per_image) for _ in range(passes)]
    original = unlabeled if target == "detached" else None
    return consistency_term(
        model, copies, original=original, divergence=divergence, preprocess=preprocess
    )


def consistency_term(
    model: nn.Module,
    copies: Sequence[torch.Tensor],
    *,
    original: torch.Tensor | None = None,
    divergence: str | None = None,
    preprocess: Preprocess | None = None,
) -> torch.Tensor:
    """The term from transformed copies made elsewhere (e.g. by a data loader).

    Without ``original`` the pairwise form of the copies (at least two); with it the detached
    form, ``original`` being the untransformed batch. The batches may be any model input with
    the batch first (all of one shape). See :func:`consistency_loss` for the other
    parameters.

    Examples
    --------
    >>> model = nn.Linear(2, 3)
    >>> a, b = torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 0.0]])
    >>> consistency_term(model, [a, a]).item()
    0.0
    >>> consistency_term(model, [a], original=b).item() > 0
    True
    """
    target = "pairs" if original is None else "detached"
    divergence = check_settings(len(copies), target, divergence)
    for copy in copies:
        _check_batch(copy, "each copy")
    if original is not None:
        _check_batch(original, "original")
    batches = [*copies] + ([] if original is None else [original])
    if len({tuple(b.shape) for b in batches}) != 1:
        raise ValueError(
            "the copies (and the original) must have one shape, got "
            f"{sorted({tuple(b.shape) for b in batches})}"
        )
    prepare = _to_float if preprocess is None else preprocess
    if original is None:
        probs = torch.stack([_logits(model, prepare(c)).softmax(1) for c in copies])
        first, second = torch.triu_indices(len(copies), len(copies), 1, device=probs.device)
        return ((probs[first] - probs[second]) ** 2).sum(-1).mean()
    with torch.no_grad():
        reference = _logits(model, prepare(original)).softmax(1)
    terms = [_divergence(_logits(model, prepare(c)), reference, divergence) for c in copies]
    return torch.stack(terms).mean()


def check_settings(passes: int, target: str, divergence: str | None = None) -> str:
    """Check the settings of the term; return the divergence (its default filled in).

    Examples
    --------
    >>> check_settings(2, "pairs"), check_settings(1, "detached")
    ('mse', 'kl')
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    least = 2 if target == "pairs" else 1
    if isinstance(passes, bool) or not isinstance(passes, int) or passes < least:
        raise ValueError(
            f"passes must be an int >= {least} for target {target!r} (the pairwise form "
            f"compares copies with each other), got {passes!r}"
        )
    if divergence is None:
        return "mse" if target == "pairs" else "kl"
    if divergence not in DIVERGENCES:
        raise ValueError(f"divergence must be one of {DIVERGENCES}, got {divergence!r}")
    if divergence == "kl" and target == "pairs":
        raise ValueError("divergence 'kl' needs target 'detached' (the pairwise form uses mse)")
    return divergence


def _check_batch(batch: torch.Tensor, what: str, images: bool = False) -> None:
    """A non-empty tensor batch; ``B x C x H x W`` when ``images`` (what transforms take)."""
    layout = "B x C x H x W" if images else "B x ..."
    if not isinstance(batch, torch.Tensor):
        raise TypeError(f"{what} must be a torch tensor {layout}, got {type(batch).__name__}")
    if (images and batch.ndim != 4) or batch.ndim == 0:
        raise ValueError(f"{what} must be a batch {layout}, got shape {tuple(batch.shape)}")
    if len(batch) == 0:
        raise ValueError(f"{what} is an empty batch (B = 0); the term needs at least one image")


def _check_output(out: object, inpt: torch.Tensor, transform: Transform) -> torch.Tensor:
    if (
        not isinstance(out, torch.Tensor)
        or out.shape != inpt.shape
        or out.dtype != inpt.dtype
    ):
        got = f"{getattr(out, 'dtype', type(out).__name__)} {tuple(getattr(out, 'shape', ()))}"
        raise TypeError(
            f"transform {transform!r} must return a {inpt.dtype} tensor of shape "
            f"{tuple(inpt.shape)} (its input's), got {got}"
        )
    return out


def _transform_batch(transform: Transform, batch: torch.Tensor, per_image: bool) -> torch.Tensor:
    if not per_image:
        return _check_output(transform(batch), batch, transform)
    return torch.stack([_check_output(transform(image), image, transform) for image in batch])


@contextlib.contextmanager
def _transform_stream(transform: Transform, seed: int | None) -> Iterator[None]:
    """Leave the transform's randomness alone (``None``), or restart it from ``seed``."""
    if seed is None:
        yield
        return
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
    reseed(transform, seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _to_float(batch: torch.Tensor) -> torch.Tensor:
    if batch.dtype == torch.uint8:
        return batch.float() / 255.0
    if not batch.is_floating_point():
        raise TypeError(f"expected a uint8 or float batch (or a preprocess), got {batch.dtype}")
    return batch


def _logits(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    logits = model(batch)
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2 or len(logits) != len(batch):
        shape = tuple(getattr(logits, "shape", ()))
        raise ValueError(f"model must return logits B x K for a batch of {len(batch)}, got {shape}")
    return logits


def _divergence(logits: torch.Tensor, reference: torch.Tensor, divergence: str) -> torch.Tensor:
    if divergence == "kl":
        return F.kl_div(logits.log_softmax(1), reference, reduction="none").sum(1).mean()
    return ((logits.softmax(1) - reference) ** 2).sum(1).mean()
