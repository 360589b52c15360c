"""``python -m tanda_transforms.evaluation``: ``tanda evaluate`` on its own (same options)."""

import sys

from tanda_transforms.evaluation.command import main

if __name__ == "__main__":
    sys.exit(main())
