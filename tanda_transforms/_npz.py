"""Read what an ``.npz`` file holds (names, shapes, dtypes) without loading any array.

Lesion pools and language models are ``.npz`` files from elsewhere: their readers check every
shape and dtype against their limits before a byte of data is allocated, and refuse object
arrays (which numpy would unpickle) by their dtype.

Examples
--------
>>> import io, tempfile, numpy as np
>>> path = tempfile.mktemp(suffix=".npz")
>>> np.savez(path, a=np.zeros((2, 3), np.int64))
>>> npz_headers(path)
{'a': ((2, 3), dtype('int64'))}
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

__all__ = ["npz_headers"]


def npz_headers(path: str | os.PathLike) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of every array of an ``.npz``, read from the headers only.

    Raises
    ------
    ValueError
        For a member that is not a ``.npy`` array or has an unsupported ``.npy`` version.
    """
    headers = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith(".npy"):
                raise ValueError(f"member {name!r:.80} is not a .npy array")
            with archive.open(name) as stream:
                version = np.lib.format.read_magic(stream)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
                else:
                    raise ValueError(f"member {name!r:.80}: unsupported .npy version {version}")
            headers[name[: -len(".npy")]] = (tuple(shape), np.dtype(dtype))
    return headers
