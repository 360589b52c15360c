"""Streamed learning data: batches read while learning, memory bounded by the batch, not by N.

:func:`~tanda_transforms.learn.learn_policy` streams (:func:`is_streamed`) a folder path, a
torch ``Dataset`` or ``DataLoader``, and any data when ``LearnConfig.size`` is set; other data
(arrays, lists of one-shape images) is stacked in memory as before
(:class:`~tanda_transforms._learn_images.ImageData`). :class:`StreamImageData` is that view
for streamed data; what happens to one item (the learning size, skips) is in
:mod:`tanda_transforms._stream_items`.

- A folder or a ``Dataset`` with a length: the learner owns a ``DataLoader`` whose workers
  read and resize items. Pass ``e`` visits the items in the order
  ``numpy.random.default_rng([seed, e]).permutation(N)``; batches run on across passes, as
  for arrays; under ``torchrun`` every rank takes its share of each global batch. A run is
  reproducible whatever the number of workers, and resumes exactly from a checkpoint.
- A ``DataLoader`` (or an ``IterableDataset``, or another iterable) given by the user is
  iterated as it is, its batches re-cut into batches of ``batch_size`` items in this process;
  its order is its own (a resumed run re-reads the items it had used, so it continues exactly
  only when the loader's order is fixed).

Examples
--------
>>> import numpy as np, torch
>>> from tanda_transforms import TFLibrary
>>> from tanda_transforms.distributed import Ranks
>>> images = [np.zeros((8, 12), np.uint8), np.zeros((10, 10), np.uint8)]
>>> data = StreamImageData(images, TFLibrary.coerce("mnist"), torch.device("cpu"),
...                        size=6, batch_size=2, seed=0, ranks=Ranks(), workers=0)
>>> data.next_batch().shape, data.describe()["learning_size"]
((2, 6, 6), [6, 6])
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from tanda_transforms._learn_images import ImageData
from tanda_transforms._stream_items import RESIZE_RULE, ImageFolder, ItemReader, Problem
from tanda_transforms.distributed import Ranks
from tanda_transforms.tfs import TFLibrary

__all__ = ["StreamImageData", "is_streamed", "source_reads"]

_EXAMPLES = 5  # skipped items named in the metadata


def is_streamed(data: Any, size: int | None) -> bool:
    """Whether ``learn_policy`` streams ``data`` (else it stacks it in memory, as before):
    a folder (a path or an :class:`~tanda_transforms._stream_items.ImageFolder`), a torch
    Dataset or DataLoader, or any data when a learning ``size`` is set."""
    if isinstance(data, str | os.PathLike | ImageFolder):
        return True
    if isinstance(data, torch.utils.data.DataLoader | torch.utils.data.Dataset):
        return True
    return size is not None


def source_reads(data: Any) -> bool:
    """Whether items of ``data`` are read when indexed (a folder, a Dataset): then DataLoader
    workers read them while the learner steps."""
    return _source_kind(data) in ("folder", "dataset")


def _source_kind(data: Any) -> str:
    if isinstance(data, str | os.PathLike | ImageFolder):
        return "folder"
    if isinstance(data, torch.utils.data.DataLoader):
        return "dataloader"
    if isinstance(data, torch.utils.data.IterableDataset) or not hasattr(data, "__getitem__"):
        return "iterable"
    if not hasattr(data, "__len__"):
        return "iterable"
    if isinstance(data, np.ndarray):
        return "array"
    return "dataset" if isinstance(data, torch.utils.data.Dataset) else "list"


class _BatchKeys:
    """The DataLoader's batch sampler: this rank's ``(index, pass)`` keys of each global
    batch, without end, from the ``start``-th global batch on."""

    def __init__(self, n: int, batch: int, seed: int, ranks: Ranks, start: int) -> None:
        self.n, self.batch, self.seed, self.ranks, self.start = n, batch, seed, ranks, start

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        epoch, offset = divmod(self.start * self.batch, self.n)
        indices = np.random.default_rng([self.seed, epoch]).permutation(self.n)[offset:]
        passes = np.full(len(indices), epoch)
        while True:
            while len(indices) < self.batch:
                epoch += 1
                indices = np.concatenate([indices, np.random.default_rng(
                    [self.seed, epoch]).permutation(self.n)])
                passes = np.concatenate([passes, np.full(self.n, epoch)])
            keys = list(zip(indices[:self.batch].tolist(), passes[:self.batch].tolist(),
                            strict=True))
            indices, passes = indices[self.batch:], passes[self.batch:]
            yield keys[self.ranks.rank::self.ranks.world_size]


def _collate(items: list[np.ndarray | Problem]) -> tuple[np.ndarray | None, list[Problem]]:
    """A batch of prepared items: the stacked images (None if none), and the problems."""
    images = [x for x in items if not isinstance(x, Problem)]
    problems = [x for x in items if isinstance(x, Problem)]
    return (np.stack(images) if images else None), problems


def _loader_items(batch: Any, batched: bool) -> list[Any]:
    """The items of one batch of a user's DataLoader (a collated tensor, images and labels,
    or a list of items)."""
    if not batched:
        return [batch]
    if isinstance(batch, list | tuple) and batch and isinstance(batch[0], torch.Tensor) \
            and batch[0].ndim == 4:
        batch = batch[0]  # (images, labels, ...) as default_collate makes them
    if isinstance(batch, torch.Tensor) and batch.ndim == 4:
        return list(batch)
    if isinstance(batch, list | tuple):
        return list(batch)
    return [batch]


class StreamImageData(ImageData):
    """Streamed images for the learner: ``next_batch()`` instead of ``batch(indices)``.

    Parameters
    ----------
    data
        A folder path, a Dataset, a DataLoader, an array or any iterable of images.
    size
        The learning size S (``LearnConfig.size``), or None: all images of one size.
    batch_size
        Real images per step, per rank.
    workers
        DataLoader workers reading a folder or Dataset (0: this process reads).
    """

    def __init__(self, data: Any, library: TFLibrary, device: torch.device, *, size: int | None,
                 batch_size: int, seed: int, ranks: Ranks, workers: int,
                 render: str = "per_image") -> None:
        self.kind = _source_kind(data)
        self.source = ImageFolder(data) if isinstance(data, str | os.PathLike) else data
        self.size, self.batch_size, self.seed, self.ranks = size, batch_size, seed, ranks
        self.workers = workers
        self._skipped: set[str] = set()
        self.examples: list[str] = []
        self.batches_used = 0  # batches this learner took (a checkpoint's position)
        self._pending: list[Any] = []  # a user's loader's items read ahead
        self._iterator: Iterator | None = None
        self.reader = ItemReader(self._map_source(), size, seed)
        shape, channels, dtype = self.reader.layout
        self.image_shape = (size, size) if size else shape
        self._setup(library, render, device, dtype, channels)

    def _map_source(self) -> Any:
        """What the item reader indexes: the data itself, or the first items of an iterable
        (read ahead: they are learned from first)."""
        if self.kind not in ("dataloader", "iterable"):
            return self.source
        self._first_pass = self._stream_items()
        for item in self._first_pass:
            self._pending.append(item)
            if len(self._pending) >= self.batch_size:
                break
        if not self._pending:
            raise ValueError("no images given (the data yielded no items)")
        return self._pending

    # --- size and description -----------------------------------------------------------

    def __len__(self) -> int:
        if self.kind not in ("dataloader", "iterable"):
            return len(self.source)
        dataset = getattr(self.source, "dataset", self.source)
        if not hasattr(dataset, "__len__"):
            raise ValueError("learning from an iterable without a length needs "
                             "LearnConfig.steps (epochs need to know how many items there are)")
        return len(dataset)

    def describe(self) -> dict[str, Any]:
        channels = (self.channels,) if self.channels > 1 else ()
        try:
            n = len(self)
        except ValueError:
            n = self.batches_used * self.batch_size
        return {
            "data_shape": [n, *self.image_shape, *channels],
            "data_dtype": self.data_dtype_name,
            "data_source": self.kind,
            "learning_size": list(self.image_shape),
            "resize": RESIZE_RULE.replace("S", str(self.size)) if self.size else "none",
            "skipped": self.skipped,
            **({"skipped_examples": self.examples} if self.examples else {}),
        }

    def batch(self, indices: np.ndarray) -> np.ndarray:
        raise TypeError("streamed data is read in batches (next_batch); the label term needs "
                        "images in memory (an array)")

    # --- batches ------------------------------------------------------------------------

    def close(self) -> None:
        """Stop reading: the DataLoader's workers end (a later ``next_batch`` starts again
        from :attr:`batches_used`)."""
        iterator, self._iterator = self._iterator, None
        shutdown = getattr(iterator, "_shutdown_workers", None)
        if shutdown is not None:
            shutdown()

    def next_batch(self) -> np.ndarray:
        """This rank's next batch of real images, N x S x S (x C); skipped items are counted."""
        if self._iterator is None:
            self._iterator = self._batches()
        empty = 0
        while True:
            images, problems = next(self._iterator)
            self.batches_used += 1
            self._count(problems)
            if images is not None:
                return images
            empty += 1
            if empty > 1000:  # a pass over a folder or Dataset has the first image: a loader
                raise ValueError(f"no readable image in {empty} batches in a row; skipped: "
                                 f"{'; '.join(self.examples)}")

    @property
    def skipped(self) -> int:
        """Items skipped (each counted once, however many passes met it)."""
        return len(self._skipped)

    def _count(self, problems: list[Problem]) -> None:
        for problem in problems:
            problem.raise_error()
            if problem.message not in self._skipped:
                self._skipped.add(problem.message)  # the message names the item
                if len(self.examples) < _EXAMPLES:
                    self.examples.append(problem.message)

    def _batches(self) -> Iterator[tuple[np.ndarray | None, list[Problem]]]:
        if self.kind in ("dataloader", "iterable"):
            return self._rebatched()
        keys = _BatchKeys(len(self.reader), self.batch_size * self.ranks.world_size, self.seed,
                          self.ranks, self.batches_used)
        loader = torch.utils.data.DataLoader(
            self.reader, batch_sampler=keys, num_workers=self.workers, collate_fn=_collate)
        # (no cv2.setNumThreads in the workers: after a fork it can wait forever on the
        # parent's OpenCV thread pool)
        return iter(loader)

    def _stream_items(self) -> Iterator[Any]:
        """The items of one pass over a user's loader or iterable."""
        batched = isinstance(self.source, torch.utils.data.DataLoader) and \
            self.source.batch_size is not None
        for batch in self.source:
            yield from _loader_items(batch, batched)

    def _pass_items(self, epoch: int) -> Iterator[Any]:
        """Pass ``epoch``'s items; the first pass goes on from the items read ahead."""
        if epoch == 0:
            yield from self._pending
            yield from self._first_pass
        else:
            yield from self._stream_items()

    def _rebatched(self) -> Iterator[tuple[np.ndarray | None, list[Problem]]]:
        """A user's loader's items in batches of ``batch_size``, pass after pass (a batch
        runs on into the next pass); a resumed run's first ``batches_used`` batches are read
        and dropped."""
        skip = self.batches_used * self.batch_size
        batch: list[np.ndarray | Problem] = []
        for epoch in itertools.count():
            count = 0
            for count, item in enumerate(self._pass_items(epoch), 1):
                if skip:
                    skip -= 1
                    continue
                rng = np.random.default_rng([self.seed, epoch, count])
                batch.append(self.reader.fit(item, count - 1, rng))
                if len(batch) == self.batch_size:
                    yield _collate(batch)
                    batch = []
            if not count:
                raise ValueError(f"the data yielded no items in pass {epoch + 1} (a generator "
                                 "can be read once: give a Dataset, DataLoader or folder)")
