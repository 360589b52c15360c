"""learn_policy(): learn which TF sequences keep data realistic, adversarially, without labels.

The generator (a sequence sampler) proposes ``seqs_per_point`` sequences of ``seq_len`` TFs for
each real image of a batch; every intermediate ``x_0 .. x_L`` is rendered as a policy renders
(each geometric run resampled once, :mod:`tanda_transforms.sequence`). A discriminator D
learns to tell real images from the final ``x_L``. The generator is trained by REINFORCE
on the per-step cost (Ratner et al. 2017, eq. 4-5)::

    c_t = -log sigmoid(D(x_t)) + alpha / (d(x_0, x_t) + eps)     (t >= 1)
    c_0 = -log sigmoid(D(x_0))
    r_t = c_t - c_(t-1)          the cost step t added
    R_t = sum_k>=t gamma^(k-t) r_k                 discounted cost-to-go
    loss_G = mean over sequences of sum_t (R_t - mean_batch R_t) * log pi(a_t)

``d`` is the mean squared difference of the per-image standardised pixels: a sequence that
leaves the image unchanged (flip twice, +5 then -5 degrees) pays ``alpha / eps``. The
reference code's flaws are avoided: its t = 0 diversity term was the constant ``alpha / eps``
(we leave it out, so the first step is charged for the whole distance it creates), and its
batch norm ran in train mode for real and eval mode for transformed images (our default D uses
GroupNorm, identical in both; see :mod:`tanda_transforms.discriminators`).

Examples
--------
>>> import numpy as np
>>> from tanda_transforms import TF
>>> from tanda_transforms.learn import learn_policy
>>> images = np.random.default_rng(0).integers(0, 255, (64, 8, 8), dtype=np.uint8)
>>> policy = learn_policy(images, [TF("hflip"), TF("invert")], generator="mean_field",
...                       seq_len=2, steps=2, batch_size=4, seed=0, progress=False)
>>> policy.seq_len, len(policy.history["step"])
(2, 1)
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as tnf
from tqdm.auto import tqdm

from tanda_transforms import _checkpoint
from tanda_transforms._atomic import is_temporary, remove_stale_temporaries, write_atomic
from tanda_transforms._learn_config import LearnConfig
from tanda_transforms._learn_images import ImageData, Streams
from tanda_transforms._learn_states import state_at
from tanda_transforms._learn_steps import (
    Clock,
    Walk,
    append_entry,
    check_finite,
    discounted_cost_to_go,
    spare_like,
    standardise,
    standardised_distance,
    standardised_distances,
)
from tanda_transforms._learn_stream import StreamImageData, is_streamed, source_reads
from tanda_transforms._learn_tune import tuned, tuning_items
from tanda_transforms.distributed import Ranks, join
from tanda_transforms.generator_kinds import build_sampler, generator_kind
from tanda_transforms.labels import label_term, load_label_state
from tanda_transforms.policy import TANDAPolicy
from tanda_transforms.tfs import TF, TFLibrary

__all__ = ["LearnConfig", "learn_policy", "Learner"]


class Learner:
    """The adversarial training state: generator, discriminator, optimisers, streams, history.

    :func:`learn_policy` drives it; use it directly to step by hand or add callbacks.
    ``images`` takes every form :func:`learn_policy`'s ``data`` does (sentences, when the
    library's TFs are text TFs; :mod:`tanda_transforms.text.learn`). Data that the
    discriminator or the diversity measure cannot take is refused here, before any step.
    ``ranks`` (from :func:`tanda_transforms.distributed.join`) connects it to the other
    processes under ``torchrun``; without it the learner is one process alone.
    ``labels`` and ``classifier`` add the label term (:mod:`tanda_transforms.labels`).
    """

    def __init__(
        self,
        images: Any,
        library: TFLibrary,
        generator: str,
        config: LearnConfig,
        seed: int,
        device: torch.device,
        discriminator: nn.Module | None = None,
        ranks: Ranks | None = None,
        labels: Any = None,
        classifier: nn.Module | None = None,
        workers: int | None = None,
    ) -> None:
        self.ranks = ranks or Ranks()  # one process unless tanda_transforms.distributed.join
        self.data = learn_data(images, library, config, device, seed, self.ranks, workers)
        config = config.for_generator(generator).for_data(self.data.default_d_width)
        self.library, self.config, self.device = library, config, device
        self.streamed = isinstance(self.data, StreamImageData)
        if self.streamed and labels is not None:
            raise ValueError("labels need the images in memory (an array or a list of one-shape "
                             "images, without LearnConfig.size); streamed data has no fixed "
                             "order to match labels to")
        self.images_seen = 0  # real images of this rank's steps (the progress line's rate)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.sampler = build_sampler(_sampler_spec(generator, len(library), config))
            self.sampler = self.sampler.to(device)
            disc = discriminator or self.data.default_discriminator(config)
        self.disc = self.data.prepare(disc, default=discriminator is None)
        if config.diversity == "features" and not hasattr(self.disc, "diversity_features"):
            raise TypeError(
                "LearnConfig(diversity='features') needs a discriminator with a "
                "diversity_features(x) method (the default discriminators have one)"
            )
        self.data.check(self.disc, config.diversity)
        self.label_term = label_term(labels, classifier, self.data, len(library), config, seed)
        self.ranks.broadcast_parameters(self.sampler)
        self.disc = self.ranks.wrap_discriminator(self.disc, device)
        self.g_opt = torch.optim.Adam(self.sampler.parameters(), lr=config.g_lr)
        self.d_opt = torch.optim.Adam(self.disc.parameters(), lr=config.d_lr, betas=(0.5, 0.999))
        self.torch_gen = torch.Generator(device).manual_seed(self.ranks.stream_seed(seed))
        self.np_rng = np.random.default_rng(self.ranks.stream_seed(seed))
        # the order of the data: one for all ranks (each keeps its shard of every batch)
        self.order_rng = np.random.default_rng(seed) if self.ranks.distributed else self.np_rng
        self.step_index = 0
        global_batch = config.batch_size * self.ranks.world_size
        self.total_steps = config.steps or max(
            1, math.ceil(config.epochs * len(self.data) / global_batch)
        )
        self.order: np.ndarray = np.empty(0, np.int64)
        self.history: dict[str, list] = {
            k: [] for k in ("step", "d_loss", "g_loss", "d_acc", "cost", "entropy", "tf_freq",
                            *(("label_kl",) if self.label_term else ()))
        }
        self._pending: list[dict[str, Any]] = []
        self._spare: dict[str, torch.Tensor] = {}  # the walk's float buffers (spare_like)
        self.timing = {"tfs": 0.0, "discriminator": 0.0, "generator": 0.0}
        if self.label_term:
            self.ranks.broadcast_parameters(self.label_term.classifier)

    def timing_s(self) -> dict[str, float]:
        """Seconds spent in each part of the steps (``labels``: the label term's)."""
        term = self.label_term
        return {**self.timing, **({"labels": term.seconds} if term else {})}

    @property
    def renderer(self):
        """The batched renderer of image data (None: per image, and for text)."""
        return self.data.renderer

    # --- one step ---------------------------------------------------------------------------

    def _next_batch(self) -> np.ndarray:
        if self.streamed:  # the data brings its own batches (this rank's share)
            real = self.data.next_batch()
            self.images_seen += len(real)
            return real
        b = self.config.batch_size * self.ranks.world_size  # the global batch
        if len(self.order) < b:
            self.order = np.concatenate([self.order, self.order_rng.permutation(len(self.data))])
        batch, self.order = self.order[:b], self.order[b:]
        self._items = self.ranks.shard(batch)
        self.images_seen += len(self._items)
        return self.data.batch(self._items)

    def _roll_out(self, real: Any, actions: torch.Tensor) -> Any:
        """Apply each sequence to its item: the states ``x_0 .. x_L`` of every sequence,
        ``states[t]`` as D takes them (see ``data.roll_out`` and
        :mod:`tanda_transforms._learn_states`)."""
        t0 = time.perf_counter()
        repeated = self.data.batch_repeat(real, self.config.seqs_per_point)
        states = self.data.roll_out(repeated, actions, Streams(self.torch_gen, self.np_rng))
        self.timing["tfs"] += time.perf_counter() - t0
        return states

    def step(self) -> dict[str, float]:
        """One discriminator update and one generator update; returns the step's losses.

        D scores every intermediate ``x_t`` with its pre-update weights: ``x_0`` (the real
        batch) and ``x_L`` come from the forward pass of D's own update, so only
        ``x_1 .. x_(L-1)`` need an extra, gradient-free pass. The states are read one ``t``
        at a time (:meth:`_walk`): a step holds the roll-out in the data's dtype and a few
        float ``x_t``, not ``L + 1`` float copies of its images.
        """
        cfg = self.config
        n = cfg.seqs_per_point
        real = self._next_batch()
        actions, log_probs = self.sampler.sample(len(real) * n, cfg.seq_len, self.torch_gen)
        states = self._roll_out(real, actions)
        label_cost = self.label_term and self.label_term.cost(states, self._items, actions)
        walk = self._walk(states)
        t0 = time.perf_counter()
        d_loss, d_acc, real_logits, final_logits = self._discriminator_update(walk.first[::n],
                                                                              walk.last)
        logits = torch.cat([real_logits.repeat_interleave(n)[None], walk.middle,
                            final_logits[None]])
        self.timing["discriminator"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        if walk.distances is None:  # in D's features: measured with its updated weights
            walk.distances = standardised_distances(states, self._diversity_space)
        g_loss, cost, entropy = self._generator_update(walk.distances, logits, actions,
                                                       log_probs, label_cost)
        self.timing["generator"] += time.perf_counter() - t0
        self.step_index += 1
        out = {"d_loss": d_loss, "g_loss": g_loss, "d_acc": d_acc, "cost": cost, "entropy": entropy}
        if self.label_term:  # the mean KL at x_L over the labeled items' sequences
            out["label_kl"] = self.label_term.last_kl
        self._record(out, actions)
        return out

    def _walk(self, states: Any) -> Walk:
        """One pass over the states: ``x_0``, ``x_L``, D's gradient-free logits of
        ``x_1 .. x_(L-1)`` and, with ``diversity="pixels"``, the distances ``d(x_0, x_t)``;
        each ``x_t`` converted into the memory of the one before (the time taken to convert
        counts as the TFs')."""
        clock, spare = Clock(self.timing), self._spare
        pixels = self.config.diversity == "pixels"  # a space that does not depend on D
        with clock("tfs"):
            first = state_at(states, 0, reuse=spare.get("first"))
        walk = Walk(first, len(states), pixels)
        if pixels:
            with clock("generator"):
                point = self._diversity_space(first)
                first_z = standardise(point, out=spare_like(spare, "first_z", point))
        x_t = spare.get("x_t")
        for t in range(1, len(states)):
            with clock("tfs"):
                x_t = state_at(states, t, reuse=x_t)
            if t < len(states) - 1:
                with clock("discriminator"), torch.no_grad():
                    walk.middle[t - 1] = self._score(x_t)
            if walk.distances is not None:
                with clock("generator"):
                    point = self._diversity_space(x_t)
                    walk.distances[t - 1] = standardised_distance(
                        first_z, point, spare_like(spare, "scratch", point))
        walk.last = x_t
        if hasattr(states, "convert"):  # x_0, x_t in memory of their own: kept for the next
            spare.update(first=first, x_t=x_t)
        return walk

    def _score(self, x: torch.Tensor) -> torch.Tensor:
        if not len(x):
            return x.new_zeros(0)
        return self.disc(self.data.to_discriminator(x)).reshape(len(x))

    def _generator_update(self, dist, logits, actions, log_probs,
                          label_cost=None) -> tuple[float, float, float]:
        """REINFORCE on the step costs: ``dist`` ``[L, M]`` the distances ``d(x_0, x_t)``,
        ``logits`` ``[L + 1, M]`` D's of every ``x_t``."""
        cfg = self.config
        cost = tnf.softplus(-logits)  # -log sigmoid(D(x_t)), (L + 1) x M
        cost = torch.cat([cost[:1], cost[1:] + cfg.alpha / (dist + cfg.eps)])
        final = float(cost[-1].mean())  # the realism cost, as without labels
        if label_cost is not None:
            cost = cost + label_cost
        to_go = discounted_cost_to_go((cost[1:] - cost[:-1]).T, cfg.gamma)  # M x L
        advantage = to_go - to_go.mean(0, keepdim=True)
        loss = (advantage.detach() * log_probs).sum(1).mean()
        entropy = self.sampler.entropy(actions).sum(1).mean()
        loss = loss - cfg.entropy_weight * entropy
        check_finite("generator loss", loss, self.step_index)
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.ranks.average_gradients(self.sampler)
        self.g_opt.step()
        return float(loss.detach()), final, float(entropy.detach())

    def _diversity_space(self, x: torch.Tensor) -> torch.Tensor:
        return self.data.diversity_space(x, self.disc, self.config.diversity)

    def _discriminator_update(self, real: torch.Tensor, fake: torch.Tensor):
        logits = self._score(torch.cat([real, fake]))
        real_logits, fake_logits = logits[: len(real)], logits[len(real) :]
        loss = tnf.binary_cross_entropy_with_logits(
            real_logits, torch.ones_like(real_logits)
        ) + tnf.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        check_finite("discriminator loss", loss, self.step_index)
        self.d_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.d_opt.step()
        acc = 0.5 * ((real_logits > 0).float().mean() + (fake_logits < 0).float().mean())
        return float(loss.detach()), float(acc), real_logits.detach(), fake_logits.detach()

    def _record(self, out: dict[str, float], actions: torch.Tensor) -> None:
        """Keep the step's numbers; every ``log_every`` steps, their means become an entry."""
        counts = torch.bincount(actions.flatten().cpu(), minlength=len(self.library))
        counts, out = self.ranks.sum_over_ranks(counts), self.ranks.mean_over_ranks(out)
        self._pending.append({**out, "tf_freq": (counts / counts.sum()).tolist()})
        if self.step_index % self.config.log_every == 0:
            append_entry(self.history, self.step_index, self._pending)
            self._pending = []

    def finished_history(self) -> dict[str, list]:
        """The history, plus an entry for the steps since its last one (a shorter window).

        :attr:`history` itself holds only full windows, so that a run resumed from a
        checkpoint logs exactly as an uninterrupted run does.
        """
        history = {key: list(values) for key, values in self.history.items()}
        if self._pending:
            append_entry(history, self.step_index, self._pending)
        return history

    # --- checkpoints ------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        return {
            "step_index": self.step_index,
            "sampler": self.sampler.state_dict(),
            "disc": self.disc.state_dict(),
            "g_opt": self.g_opt.state_dict(),
            "d_opt": self.d_opt.state_dict(),
            "torch_gen": self.torch_gen.get_state(),
            "np_rng": self.np_rng.bit_generator.state,
            "order": torch.from_numpy(self.order.copy()),
            "history": self.history,
            "pending": self._pending,  # the steps since the last history entry
            "library": self.library.to_spec(),
            "settings": self._settings(),
            **({"stream_batches": self.data.batches_used} if self.streamed else {}),
            **({"labels": self.label_term.state_dict()} if self.label_term else {}),
            **self.ranks.stream_state(self.torch_gen, self.np_rng, self.order_rng),
        }

    def _settings(self) -> dict[str, Any]:
        """What a checkpoint must have been made under to resume this run (a checkpoint that
        lacks a later field was made under its :data:`~tanda_transforms._checkpoint.ADDED_FIELDS`
        value)."""
        return {**dataclasses.asdict(self.config), "sampler": self.sampler.config()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state["library"] != self.library.to_spec():
            raise ValueError("checkpoint was made with a different TF library")
        _checkpoint.check_settings(state.get("settings"), self._settings())
        self.ranks.check_world_size(int(state.get("world_size", 1)))  # absent: one process
        self.step_index = int(state["step_index"])
        self.sampler.load_state_dict(state["sampler"])
        self.disc.load_state_dict(state["disc"])
        self.g_opt.load_state_dict(state["g_opt"])
        self.d_opt.load_state_dict(state["d_opt"])
        self.torch_gen.set_state(state["torch_gen"])
        self.np_rng.bit_generator.state = state["np_rng"]
        self.order = state["order"].numpy().copy()
        self.history = state["history"]
        self._pending = list(state.get("pending", []))  # absent from older checkpoints
        if self.streamed:  # where the stream goes on (read before the first batch)
            self.data.batches_used = int(state["stream_batches"])
        load_label_state(self.label_term, state.get("labels"))
        self.ranks.load_stream_state(state, self.torch_gen, self.np_rng, self.order_rng)

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write a checkpoint atomically (see :mod:`tanda_transforms._atomic`); all ranks call
        this (it gathers their random streams), rank 0 writes."""
        state = self.state_dict()
        if self.ranks.is_main:
            write_atomic(path, _checkpoint.encode(state))

    def load_checkpoint(self, path: str | os.PathLike) -> None:
        """Continue from a checkpoint (loaded with ``weights_only=True``: no arbitrary code).

        The temporary file an interrupted save leaves (``.<name>.<random>.tmp``) is refused:
        it may be incomplete, and the checkpoint it was to replace is intact. So are a file
        whose checksum fails, anything but a regular file, and a checkpoint made under other
        settings (:class:`~tanda_transforms._checkpoint.CheckpointError`).
        """
        if is_temporary(path):
            raise ValueError(
                f"{str(path)!r} is the temporary file of an interrupted checkpoint save, not a "
                f"checkpoint; resume from the checkpoint itself"
            )
        self.load_state_dict(_checkpoint.read(path, self.device))


def learn_data(data: Any, library: TFLibrary, config: LearnConfig, device: torch.device,
               seed: int = 0, ranks: Ranks | None = None, workers: int | None = None) -> Any:
    """The learner's view of ``data``: sentences for a text library; streamed images for a
    folder, Dataset or DataLoader or with ``config.size`` (:mod:`tanda_transforms._learn_stream`);
    images in memory otherwise."""
    if library.modality == "text":
        from tanda_transforms.text.learn import TextData

        return TextData(data, library, device)
    if not is_streamed(data, config.size):
        return ImageData(data, library, config.render, device)
    if workers is None:  # reading files or a Dataset: two workers, while this process learns
        workers = 2 if source_reads(data) and (os.cpu_count() or 1) > 1 else 0
    return StreamImageData(data, library, device, size=config.size, seed=seed,
                           batch_size=config.batch_size, ranks=ranks or Ranks(),
                           workers=workers, render=config.render)


def _rate(learner: Learner, seconds: float) -> str:
    """The progress line's rate: real images per second, and skipped images if any."""
    rate = learner.images_seen * learner.ranks.world_size / max(seconds, 1e-9)
    skipped = getattr(learner.data, "skipped", 0)
    return f"{rate:.1f} img/s" + (f", {skipped} skipped" if skipped else "")


def _data_and_library(data: Any, tfs: Any) -> tuple[Any, TFLibrary]:
    """The TF library; a text pack name (``"semeval"``) is built on a language model fit
    on ``data``'s sentences (which are then a list, read once)."""
    from tanda_transforms.text.packs import TEXT_PACKS

    if isinstance(tfs, str) and tfs in TEXT_PACKS:
        from tanda_transforms.text.learn import as_sentences, text_library

        data = as_sentences(data)
        return data, text_library(tfs, data)
    return data, TFLibrary.coerce(tfs)


def _sampler_spec(kind: str, n_tfs: int, config: LearnConfig) -> dict[str, Any]:
    """The plain-data config :func:`~tanda_transforms.generator_kinds.build_sampler` builds
    from: the kind, the TF count and the LearnConfig fields the kind takes."""
    fields = generator_kind(kind).config_fields
    return {"kind": kind, "n_tfs": n_tfs, **{name: getattr(config, name) for name in fields}}


def learn_policy(
    data: Any,
    tfs: str | TFLibrary | Iterable[TF] = "mnist",
    *,
    generator: str = "lstm",
    seq_len: int | None = None,
    seed: int = 0,
    config: LearnConfig | None = None,
    discriminator: nn.Module | None = None,
    device: str | torch.device | None = None,
    checkpoint: str | os.PathLike | None = None,
    resume: str | os.PathLike | None = None,
    progress: bool = True,
    callback: Callable[[Learner], None] | None = None,
    backend: str | None = None,
    labels: Any = None,
    classifier: nn.Module | None = None,
    workers: int | None = None,
    tune: bool | None = None,
    tune_options: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> TANDAPolicy:
    """Learn a TANDA policy from unlabeled images (and the labels there are, if given).

    Parameters
    ----------
    data
        Images N x H x W (x C) of uint8, uint16 or float32 in [0, 1], or a list of images
        (PIL, numpy H x W (x C), tensors C x H x W; for ``(image, label)`` items the label
        is ignored), held in memory; all must share one shape, of at least 2 values (1 x 2
        pixels, or 1 x 1 with 2 channels). Or, streamed in batches (memory bounded by the
        batch, not by N; :mod:`tanda_transforms._learn_stream`): a folder path (every image
        file under it), a torch ``Dataset`` or ``DataLoader`` of such images; data of mixed
        sizes needs ``config.size`` (the learning resolution), which also streams any other
        data. Unreadable files and images whose channels or dtype differ from the first
        image's are skipped, counted in the metadata and warned about. With text TFs: sentences
        (str with ``<e1>...</e1>``-style markup for protected spans, or token lists; for
        ``(sentence, label)`` items the label is ignored), see :mod:`tanda_transforms.text`.
    tfs
        A pack name, a :class:`TFLibrary` or a list of :class:`TF`. A text pack name
        (``"semeval"``, ``"eda"``) builds its TFs on an n-gram language model fit on ``data``.
    generator
        A registered generator kind: ``"lstm"`` (default), ``"gru"``, ``"mean_field"`` or
        one added with :func:`~tanda_transforms.generator_kinds.register_generator_kind`.
    seq_len
        TFs per sequence (L); shorthand for ``config.seq_len``.
    seed
        Makes a CPU run reproducible (sampling, batches, TF randomness, initial weights).
    config
        A :class:`LearnConfig`; keyword ``overrides`` (``steps=200``) replace fields.
    discriminator
        An ``nn.Module`` from N x C x H x W images in [-1, 1] to N (or N x 1) logits. It is
        run once, in eval mode, on two blank images of the data's size before learning, so
        that a size it cannot take is refused up front.
    device
        ``"cuda"`` to train on a GPU (TFs still run on the CPU); default: CUDA if
        available.
    checkpoint
        Path written atomically every ``config.checkpoint_every`` steps. Temporary files
        that a run killed while saving left next to it are deleted when the run starts.
    resume
        A checkpoint to continue from (same data, TFs and config).
    progress
        Show a tqdm progress bar.
    callback
        Called with the :class:`Learner` after every step.
    backend
        Under ``torchrun`` (docs/distributed.md), the ``torch.distributed`` backend: ``"gloo"``
        or ``"nccl"``; default: NCCL on CUDA, gloo on the CPU.
    labels
        One int label per item of ``data`` (-1 for unlabeled ones; any share may be labeled):
        adds the label-preservation term to the generator's cost, weighted by
        ``config.label_weight`` (:mod:`tanda_transforms.labels`). Default: realism only.
    classifier
        With ``labels``: a trained ``nn.Module`` from items as D takes them to ``N x K``
        logits, used frozen instead of training the default one.
    workers
        DataLoader workers that read a streamed folder or Dataset (0: this process reads);
        default 2 on machines with more than one core. The result does not depend on it.
    tune
        Whether learning ends with :func:`~tanda_transforms.tune.tune_policy` on the labeled
        images, which then chooses the returned policy's ``p`` and ``frame`` (``p = 0``, no
        augmentation, always a candidate; :mod:`tanda_transforms._learn_tune`). Default
        (None): when ``labels`` come with one ``uint8`` image array; True requires it,
        False keeps ``config.apply_p``. Cost: 7 short proxy trainings at the defaults.
    tune_options
        Keywords for ``tune_policy`` (``epochs``, ``p_grid``, ``threads``...); default: its
        own, with ``seed`` for the split and the proxies.

    Returns
    -------
    TANDAPolicy
        The learned policy, whose ``metadata["training"]`` holds the config, the world size
        (processes; the global batch is ``batch_size`` times it), the history (losses,
        discriminator accuracy, TF frequencies, means over processes), timings and
        ``learning_size`` (the H x W the discriminator saw; streamed data adds ``resize``,
        ``skipped`` and ``data_source``); with labels, ``["labels"]`` records how many, the
        weight and each TF's mean penalty; when tuned, ``metadata["tuning"]`` every
        candidate's validation accuracies and the cost.
    """
    config = dataclasses.replace(config or LearnConfig(), **overrides)
    if seq_len is not None:
        config = dataclasses.replace(config, seq_len=seq_len)
    data, library = _data_and_library(data, tfs)
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    ranks, device = join(device, backend)  # torchrun's process group, if there is one
    learner = Learner(data, library, generator, config, seed, device, discriminator, ranks,
                      labels, classifier, workers)
    if checkpoint is not None and ranks.is_main:
        remove_stale_temporaries(checkpoint)  # left by a run killed while saving
    if resume is not None:
        learner.load_checkpoint(resume)
    started = time.perf_counter()
    try:
        tuning = tuning_items(data, labels, tune=tune, modality=library.modality,
                              options=tune_options)  # checked before learning
        _run(learner, checkpoint, progress and ranks.is_main, callback)
    finally:
        if learner.streamed:
            learner.data.close()  # its DataLoader workers
    config = learner.config  # generator defaults filled in
    training = {
        "config": dataclasses.asdict(config),
        "generator": generator,
        "seed": seed,
        "world_size": ranks.world_size,
        **learner.data.describe(),
        "steps": learner.step_index,
        "wall_time_s": round(time.perf_counter() - started, 2),
        "timing_s": {k: round(v, 2) for k, v in learner.timing_s().items()},
        "history": learner.finished_history(),
    }
    if learner.label_term:
        training["labels"] = learner.label_term.describe(ranks, library.names)
    _warn_skipped(training)
    sampler = learner.sampler.cpu()
    policy = TANDAPolicy(library, sampler, config.seq_len, metadata={"training": training},
                         p=config.apply_p)
    if tuning is None:
        return policy
    return tuned(policy, tuning, seed, tune_options, progress and ranks.is_main)


def _warn_skipped(training: dict[str, Any]) -> None:
    if training.get("skipped"):
        warnings.warn(f"learn_policy skipped {training['skipped']} unreadable or mismatched "
                      f"images (metadata['training']['skipped_examples']): "
                      f"{'; '.join(training['skipped_examples'][:2])}", stacklevel=3)


def _run(learner: Learner, checkpoint, progress: bool, callback) -> None:
    """Step ``learner`` to its total steps, checkpointing and calling back on the way; the
    progress bar shows the real images per second (all processes together)."""
    total, every = learner.total_steps, learner.config.checkpoint_every
    steps = range(learner.step_index, total)
    bar = tqdm(steps, disable=not progress, desc="learn_policy", initial=learner.step_index,
               total=total)
    started = time.perf_counter()
    for _ in bar:
        learner.step()
        if progress:
            bar.set_postfix_str(_rate(learner, time.perf_counter() - started), refresh=False)
        if callback is not None:
            callback(learner)
        if checkpoint is not None and learner.step_index % every == 0:
            learner.save_checkpoint(checkpoint)
    if checkpoint is not None:
        learner.save_checkpoint(checkpoint)
