"""TANDAPolicy: a TF library, a sequence sampler and a length, as a torchvision v2 transform.

Each call samples one sequence of ``seq_len`` TFs and applies it, in order. Sequences are drawn
from the sampler in blocks (``block_size`` at a time), so a recurrent sampler costs one model
pass per block, not per image.

Randomness: with ``seed=`` the policy owns its random streams, reproducible, and inside a
DataLoader worker they also mix in ``torch.initial_seed()``, which the DataLoader makes
different for every worker and every epoch. With ``seed=None`` (torchvision's convention)
``torch.manual_seed(s)`` before a run (a DataLoader epoch included) reproduces it while
workers still differ through torch's own worker seeding: outside DataLoader workers every
call draws from torch's default generator (one sampler pass per call: for the gallery's
``cifar10`` LSTM, L = 10, 21-24 ms a call against 0.27 ms in blocks, one thread on a
2-core machine at load 11; pass ``seed=`` for block draws);
inside a worker the policy draws blocks from a stream seeded by the worker's
``torch.initial_seed()``, which the DataLoader derives from the main process's generator.

Threads may share a policy: the draws are serialised, and :attr:`TANDAPolicy.last_sample`,
``last_sequence`` and ``replay`` are per thread (what this thread's last call applied).

Examples
--------
>>> import numpy as np
>>> from tanda_transforms import TANDAPolicy
>>> policy = TANDAPolicy("mnist", seq_len=3, seed=0)
>>> digit = np.zeros((28, 28), np.uint8)
>>> out = policy(digit)
>>> out.shape, out.dtype
((28, 28), dtype('uint8'))
>>> len(policy.last_sequence)
3
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import PIL.Image
import torch
from torch.utils._pytree import tree_flatten, tree_unflatten
from torchvision.transforms import v2

from tanda_transforms import _convert, _inputs, policy_file, targets
from tanda_transforms._atomic import write_atomic
from tanda_transforms._gallery import PolicyNotFoundError, gallery_names
from tanda_transforms._gallery import resolve_policy as _resolve
from tanda_transforms._policy_header import FORMAT, policy_from_parts
from tanda_transforms._policy_settings import check_frame, check_probability, check_seq_len
from tanda_transforms.generators import MeanFieldSampler, SequenceSampler
from tanda_transforms.seeding import process_key, stream_seed
from tanda_transforms.sequence import (
    CompiledSequence,
    SampledBatch,
    SampledSequence,
    draw_verdicts,
)
from tanda_transforms.tfs import TF, TFLibrary

if TYPE_CHECKING:
    from tanda_transforms.batched import BatchedPolicy

__all__ = ["TANDAPolicy", "PolicyNotFoundError", "check_frame", "check_probability",
           "check_seq_len", "gallery_names"]


class _Stream:
    """The random streams of one process: a torch generator for sequences, numpy for TFs."""

    def __init__(self, seed: int, block_size: int) -> None:
        self.key = process_key()
        self.torch_gen = torch.Generator().manual_seed(seed % 2**63)
        self.np_rng = np.random.default_rng(seed)
        self.block_size = block_size
        self.block: list[tuple[int, ...]] = []

    def next_actions(self, policy: TANDAPolicy) -> tuple[int, ...]:
        if not self.block:
            device = policy.sampler_device
            if self.torch_gen.device != device:  # the sampler moved (e.g. to CUDA for learning)
                state = self.torch_gen.initial_seed()
                self.torch_gen = torch.Generator(device).manual_seed(state)
            self.block = policy.draw_actions(self.block_size, self.torch_gen)[::-1]
        return self.block.pop()


class TANDAPolicy(v2.Transform):
    """A learned (or uniform) augmentation policy: sample a TF sequence, apply it.

    Inputs: a PIL image (modes L, RGB, RGBA, I;16), a numpy array H x W or H x W x C, a tensor
    or ``tv_tensors.Image`` C x H x W (batched ... x C x H x W and ``tv_tensors.Video`` get one
    sequence for every image or frame, as torchvision does; an empty batch comes back empty),
    of dtype uint8, uint16 or float32 in [0, 1] (float64 too: rendered in float32, returned
    as float64). The output has the input's type, dtype, shape and range.
    ``tv_tensors.Mask``, ``BoundingBoxes`` (rotated formats too) and ``KeyPoints`` in the same
    call follow the geometric TFs. Which inputs are images follows torchvision's heuristic,
    numpy arrays counted as plain tensors: beside an explicit image (``tv_tensors.Image`` or
    ``Video``, PIL) plain tensors and arrays pass through untouched; otherwise the first one
    is the image. Every call checks its whole input first (``p``'s verdict is drawn before):
    images, channel counts against all of the policy's TFs (not just the drawn ones), and
    targets against their image (size, canvas, finite boxes).

    Rendering: each run of consecutive geometric TFs is composed into one warp and resampled
    once (see :mod:`tanda_transforms.sequence`); warps read past the image edge by
    reflection.

    Parameters
    ----------
    tfs
        A pack name (``"mnist"``, ``"cifar10"``, ``"mammography"``), a :class:`TFLibrary` or a
        list of :class:`TF`.
    sampler
        A :class:`~tanda_transforms.generators.SequenceSampler` over ``len(tfs)`` TFs; ``None``
        means uniform (the paper's heuristic baseline).
    seq_len
        Number of TFs applied per image (L).
    seed
        Seed of the policy's random streams; ``None`` draws every call from torch's default
        generator (``torch.manual_seed`` controls it, as for torchvision's transforms).
    block_size
        Sequences drawn from the sampler at a time.
    metadata
        Free-form JSON-able information saved with the policy (e.g. training history).
    p
        Probability that a call transforms its input at all; otherwise the input is returned
        unchanged (as ``transforms.RandomApply`` does). An attribute a training loop may
        change between epochs; saved in the policy file.
    frame
        Context frame in pixels: after the TFs the image is shifted by a random whole number
        of pixels in ``[-frame, frame]`` on each axis, filled by reflection (a reflect-padded
        random crop, the reference's pad-and-crop), inside the last warp when the sequence
        ends with geometric TFs. ``0`` (default) disables it. Saved in the policy file.

    Examples
    --------
    >>> import torch
    >>> from torchvision import transforms
    >>> pipeline = transforms.Compose([TANDAPolicy("cifar10", seq_len=2, seed=0)])
    >>> pipeline(torch.rand(3, 32, 32)).shape
    torch.Size([3, 32, 32])
    >>> TANDAPolicy("mnist", seq_len=2, p=0.0)(torch.zeros(1, 8, 8)).sum().item()
    0.0
    """

    _transformed_types = (torch.Tensor, PIL.Image.Image, np.ndarray)

    def __init__(
        self,
        tfs: str | TFLibrary | Sequence[TF],
        sampler: SequenceSampler | None = None,
        seq_len: int = 10,
        *,
        seed: int | None = None,
        block_size: int = 256,
        metadata: dict[str, Any] | None = None,
        p: float = 1.0,
        frame: int = 0,
    ) -> None:
        super().__init__()
        self.library = TFLibrary.coerce(tfs)
        if seed is not None and (not isinstance(seed, int) or seed < 0):
            raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
        if not isinstance(block_size, int) or block_size < 1:
            raise ValueError(f"block_size must be a positive int, got {block_size!r}")
        self.sampler = MeanFieldSampler(len(self.library)) if sampler is None else sampler
        if self.sampler.n_tfs != len(self.library):
            raise ValueError(
                f"sampler draws from {self.sampler.n_tfs} TFs but the library has "
                f"{len(self.library)}"
            )
        self.seq_len, self.seed, self.block_size = seq_len, seed, block_size
        self.p, self.frame = p, frame
        self.metadata = dict(metadata or {})
        self._stream: _Stream | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def p(self) -> float:
        """Probability that a call transforms its input (see the class docstring)."""
        return self._p

    @p.setter
    def p(self, value: float) -> None:
        self._p = check_probability(value)

    @property
    def seq_len(self) -> int:
        """TFs per sampled sequence (a learned generator draws its first ``seq_len`` steps)."""
        return self._seq_len

    @seq_len.setter
    def seq_len(self, value: int) -> None:
        self._seq_len = check_seq_len(value)

    @property
    def frame(self) -> int:
        """Context frame in pixels (see the class docstring)."""
        return self._frame

    @frame.setter
    def frame(self, value: int) -> None:
        self._frame = check_frame(value)
        if self._frame and self.library.modality == "text":
            raise ValueError(f"frame is a shift in pixels: a text policy takes frame=0, "
                             f"got {value}")

    @property
    def last_sample(self) -> SampledSequence | None:
        """The :class:`SampledSequence` of this thread's last call (``None`` before the
        first)."""
        return getattr(self._local, "sample", None)

    @last_sample.setter
    def last_sample(self, value: SampledSequence | None) -> None:
        self._local.sample = value

    # --- randomness ---------------------------------------------------------------------

    def manual_seed(self, seed: int | None) -> TANDAPolicy:
        """Reseed the policy's streams (``None``: every call draws from torch's default
        generator)."""
        self.seed, self._stream = seed, None
        return self

    def _current_stream(self) -> _Stream:
        if self._stream is None or self._stream.key != process_key():
            self._stream = _Stream(stream_seed(self.seed), self.block_size)
        return self._stream

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        dropped = ("_lock", "_local")  # per process and thread: made again on loading
        state = {**{k: v for k, v in state.items() if k not in dropped}, "_stream": None}
        if self.library.modality == "text":  # the models travel with it (spawn workers)
            from tanda_transforms.text.store import embed_models

            header, tensors = embed_models(self.library)  # as numpy: pickled by value
            state["_language_models"] = header, {k: v.numpy() for k, v in tensors.items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        models = state.pop("_language_models", None)
        if models is not None:  # validated (checksum = key) and registered, as a file's
            from tanda_transforms.text.store import restore_models

            header, arrays = models
            restore_models(header, {k: torch.from_numpy(v) for k, v in arrays.items()})
        super().__setstate__(state)
        self._lock, self._local = threading.Lock(), threading.local()

    # --- sampling -----------------------------------------------------------------------

    def draw_actions(self, n: int, generator: torch.Generator) -> list[tuple[int, ...]]:
        """Draw ``n`` TF-index sequences from the sampler with ``generator`` (for adapters)."""
        with torch.no_grad():
            actions, _ = self.sampler.sample(n, self.seq_len, generator)
        return [tuple(row) for row in actions.tolist()]

    def sample(self) -> SampledSequence:
        """Draw what one call applies: TF indices, a seed per step, ``p``'s verdict and the
        frame's shift.

        Examples
        --------
        >>> s = TANDAPolicy("mnist", seq_len=3, seed=0).sample()
        >>> len(s.actions), len(s.step_seeds), s.applied
        (3, 3, True)
        """
        if self.seed is None and torch.utils.data.get_worker_info() is None:
            return self._sample_from_torch()
        with self._lock:
            stream = self._current_stream()
            return self.finish_sample(stream.next_actions(self), stream.np_rng)

    def _sample_from_torch(self) -> SampledSequence:
        """One call's draw, seeded from torch's default generator (``seed=None``)."""
        seed = int(torch.randint(0, 2**62, (1,)).item())
        generator = torch.Generator(self.sampler_device).manual_seed(seed)
        actions = self.draw_actions(1, generator)[0]
        return self.finish_sample(actions, np.random.default_rng(seed))

    @property
    def sampler_device(self) -> torch.device:
        """The device of the sampler's parameters (where sequences are drawn)."""
        return next(self.sampler.parameters()).device

    def finish_sample(
        self, actions: Sequence[int], rng: np.random.Generator
    ) -> SampledSequence:
        """Complete drawn ``actions`` into a :class:`SampledSequence` with ``rng`` (for adapters
        that own their random streams): step seeds, ``p``'s verdict, the frame's shift."""
        seeds = tuple(int(s) for s in rng.integers(0, 2**63, size=len(actions)))
        applied, shifts = draw_verdicts(1, self.p, self.frame, rng)
        shift = (0, 0) if shifts is None else (int(shifts[0, 0]), int(shifts[0, 1]))
        return SampledSequence(tuple(int(a) for a in actions), seeds, bool(applied[0]), shift)

    def sample_batch(
        self, n: int, sequences: torch.Generator, verdicts: torch.Generator
    ) -> SampledBatch:
        """Draw what a batched call applies to ``n`` samples: a sequence each from the
        sampler with ``sequences`` (on the sampler's device), then ``p``'s verdicts and the
        frame's shifts with ``verdicts`` (see :func:`~tanda_transforms.sequence.draw_verdicts`).

        Examples
        --------
        >>> import torch
        >>> policy = TANDAPolicy("mnist", seq_len=3, frame=2)
        >>> batch = policy.sample_batch(4, torch.Generator().manual_seed(0),
        ...                             torch.Generator().manual_seed(1))
        >>> batch.actions.shape, batch.applied.tolist(), batch.frame_shifts.shape
        (torch.Size([4, 3]), [True, True, True, True], torch.Size([4, 2]))
        """
        actions = self.sampler.draw(n, self.seq_len, sequences)
        applied, shifts = draw_verdicts(n, self.p, self.frame, verdicts)
        return SampledBatch(actions.cpu(), applied.cpu(),
                            None if shifts is None else shifts.cpu())

    def sample_sequences(self, n: int = 1) -> list[list[str]]:
        """Draw ``n`` sequences as readable TF names (from the same stream as calls)."""
        return [self.names(self.sample().actions) for _ in range(n)]

    def names(self, actions: Sequence[int]) -> list[str]:
        """Readable names of a sequence of TF indices."""
        return [repr(self.library[a]) for a in actions]

    @property
    def history(self) -> dict[str, list] | None:
        """The training history kept by :func:`~tanda_transforms.learn_policy`, if any."""
        return self.metadata.get("training", {}).get("history")

    @property
    def last_sequence(self) -> list[str] | None:
        """Names of the TFs applied by this thread's last call (``None`` before the first;
        ``[]`` when ``p`` skipped it)."""
        last = self.last_sample
        if last is None:
            return None
        return self.names(last.actions) if last.applied else []

    # --- applying -----------------------------------------------------------------------

    def forward(self, *inputs: Any, sequence: SampledSequence | None = None) -> Any:
        """Transform the inputs with a freshly sampled sequence, or with ``sequence``.

        Passing ``sequence`` (e.g. ``policy.last_sample``) applies exactly that draw; nothing
        is stored on the policy but this thread's :attr:`last_sample`.
        """
        if sequence is not None and not isinstance(sequence, SampledSequence):
            raise TypeError(f"sequence must be a SampledSequence, got {type(sequence).__name__}")
        if self.library.modality == "text":
            from tanda_transforms.text.apply import apply_to_sentence, one_sentence

            sequence = self.sample() if sequence is None else sequence
            out = apply_to_sentence(self.library, sequence, one_sentence(inputs))
            self.last_sample = sequence
            return out
        packed = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(packed)
        needs = self._needs_transform_list(flat_inputs)
        chosen = [inpt for inpt, need in zip(flat_inputs, needs, strict=True) if need]
        if sequence is None:
            params = self.make_params(chosen)
        else:
            params = self._checked_params(sequence, chosen)
        if not params["sequence"].applied:
            return packed
        flat_outputs = [
            self.transform(inpt, params) if need else inpt
            for inpt, need in zip(flat_inputs, needs, strict=True)
        ]
        return tree_unflatten(flat_outputs, spec)

    def _needs_transform_list(self, flat_inputs: list[Any]) -> list[bool]:
        return _inputs.needs_transform_list(flat_inputs)

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        """Draw one call's sequence (``p``'s verdict included) and check ``flat_inputs``, the
        inputs it will transform (torchvision >= 0.21's ``make_params``).

        Examples
        --------
        >>> import torch
        >>> policy = TANDAPolicy("cifar10", seq_len=2, seed=0)
        >>> img = torch.zeros(3, 8, 8, dtype=torch.uint8)
        >>> policy.transform(img, policy.make_params([img])).shape
        torch.Size([3, 8, 8])
        """
        return self._checked_params(self.sample(), flat_inputs)

    def _checked_params(self, sequence: SampledSequence, flat_inputs: list[Any]) -> dict:
        if self.library.modality == "text":
            raise TypeError("a text policy is called on a sentence (a str or a list of tokens)")
        _inputs.check_call(flat_inputs, self.library, type(self).__name__)
        self.last_sample = sequence
        return {"sequence": sequence, "compiled": {}}

    def compile(self, sequence: SampledSequence, shape: Sequence[int]) -> CompiledSequence:
        """The stages of ``sequence`` for images of ``shape`` (H, W (, C))."""
        return sequence.compile(self.library, shape)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        """Apply the draw in ``params`` (from :meth:`make_params`) to one input: an image or
        a target (torchvision >= 0.21's ``transform``); a draw that ``p`` skipped returns
        ``inpt`` itself."""
        sequence = params["sequence"]
        if not sequence.applied:
            return inpt
        cache = params.setdefault("compiled", {})  # one compilation per size, for the call

        def compiled(shape: Sequence[int]) -> CompiledSequence:
            key = (int(shape[0]), int(shape[1]))
            if key not in cache:
                cache[key] = self.compile(sequence, key)
            return cache[key]

        if _inputs.is_target(inpt):
            return targets.transform_target(inpt, compiled)
        return _convert.apply_to_image(inpt, lambda a: compiled(a.shape).apply(a))

    def apply_sequence(self, img: Any, sequence: Sequence[int | str | TF], seed: int = 0) -> Any:
        """Apply a given sequence (TF indices, TF names or TFs) to ``img``.

        Rendered as calls render (one resampling per geometric run), always applied (``p``
        does not apply) and without the frame's shift.

        Examples
        --------
        >>> import numpy as np
        >>> p = TANDAPolicy("mnist", seq_len=2)
        >>> img = np.eye(4, dtype=np.uint8)
        >>> bool((p.apply_sequence(img, ["zoom(factor=1.1)", 0]) >= 0).all())
        True
        """
        actions = tuple(self._index_of(item) for item in sequence)
        seeds = np.random.default_rng(seed).integers(0, 2**63, size=len(actions)).tolist()
        return self(img, sequence=SampledSequence(actions, tuple(seeds)))

    def batched(self, seed: int | None = None) -> BatchedPolicy:
        """This policy as a ``torch.nn.Module`` over batches ``[B, C, H, W]``: one sequence,
        ``p`` verdict and frame shift per sample, rendered in torch on the batch's device.

        See :class:`~tanda_transforms.batched.BatchedPolicy`; ``seed`` defaults to this
        policy's.

        Examples
        --------
        >>> import torch
        >>> augment = TANDAPolicy("cifar10", seq_len=2).batched(seed=0)
        >>> out = augment(torch.zeros(64, 3, 8, 8, dtype=torch.uint8))
        >>> out.shape, len(augment.last_sequences)
        (torch.Size([64, 3, 8, 8]), 64)
        """
        from tanda_transforms.batched import BatchedPolicy

        if self.library.modality == "text":
            raise TypeError("batched() renders image batches; a text policy is called on "
                            "each sentence (a str or a list of tokens)")
        return BatchedPolicy(self, seed)

    def replay(self, img: Any) -> Any:
        """Apply exactly what this thread's last call applied (same TFs and random parts)."""
        if self.last_sample is None:
            raise RuntimeError("nothing to replay: the policy has not been called yet in "
                               "this thread")
        return self(img, sequence=self.last_sample)

    def _index_of(self, item: int | str | TF) -> int:
        if isinstance(item, int) and not isinstance(item, bool):
            if not 0 <= item < len(self.library):
                raise IndexError(f"TF index {item} out of range [0, {len(self.library)})")
            return item
        names = self.library.names
        key = repr(item) if isinstance(item, TF) else item
        if key not in names:
            raise ValueError(f"{key!r} is not in this policy's library: {names}")
        return names.index(key)

    # --- files --------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The policy file's bytes (see :mod:`tanda_transforms.policy_file`)."""
        from tanda_transforms import __version__

        header = {
            "format": FORMAT,
            "package_version": __version__,
            "library": self.library.to_spec(),
            "sampler": self.sampler.config(),
            "seq_len": self.seq_len,
            "p": self.p,
            "frame": self.frame,
            "metadata": self.metadata,
        }
        state = {f"sampler.{k}": v for k, v in self.sampler.state_dict().items()}
        if self.library.modality == "text":  # the language models its TFs name travel with it
            from tanda_transforms.text.store import embed_models

            header["language_models"], models = embed_models(self.library)
            state.update(models)
        return policy_file.encode(header, state)

    def save(self, path: str | os.PathLike) -> None:
        """Write the policy to ``path`` (atomically)."""
        write_atomic(path, self.to_bytes())

    @classmethod
    def from_bytes(
        cls,
        blob: bytes,
        *,
        seed: int | None = None,
        trusted: bool = False,
        allow_unchecked: bool = False,
    ) -> TANDAPolicy:
        """Rebuild a policy from :meth:`to_bytes` output; never unpickles or runs code.

        ``trusted=True`` is for bytes this program wrote itself (pickling across processes):
        it lets TFs name what only code may name, such as a lesion pool file; every other
        check stays. ``allow_unchecked=True`` also reads format-1 files, which carry no
        checksum (see :mod:`tanda_transforms.policy_file`). The work the policy's sampler
        may ask for is bounded by :mod:`tanda_transforms.limits`.
        """
        header, tensors = policy_file.decode(blob, allow_unchecked=allow_unchecked)
        return policy_from_parts(cls, header, tensors, seed, trusted=trusted)

    @classmethod
    def load(
        cls,
        name_or_path: str | os.PathLike,
        *,
        seed: int | None = None,
        allow_unchecked: bool = False,
    ) -> TANDAPolicy:
        """Load a policy file, or a gallery policy by name (see :func:`gallery_names`).

        A path to a file comes first: ``load("cifar10")`` reads a file named ``cifar10`` in
        the working folder if there is one, else the gallery policy. A directory is never a
        policy: a directory of a gallery policy's name is passed over for the gallery, any
        other directory is refused (:class:`PolicyFileError`). ``allow_unchecked=True``
        reads an old (format 1) file that carries no checksum; save it again to add one.

        Examples
        --------
        >>> TANDAPolicy.load("example", seed=0).seq_len
        3
        """
        try:
            path = _resolve(name_or_path)
        except IsADirectoryError as error:
            raise policy_file.PolicyFileError(str(error)) from None
        blob = policy_file.read_bytes(path)
        return cls.from_bytes(blob, seed=seed, allow_unchecked=allow_unchecked)

    def __repr__(self) -> str:
        """L, generator, seed and the TFs with their probabilities (not the network layers)."""
        from tanda_transforms.show import policy_repr

        return policy_repr(self)
