"""``python -m tanda_transforms.cli``: the ``tanda`` command."""

import sys

from tanda_transforms.cli import main

if __name__ == "__main__":
    sys.exit(main())
