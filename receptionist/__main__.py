"""``python -m receptionist``: the same as the ``receptionist`` command."""

import sys

from receptionist.cli import main

if __name__ == "__main__":
    sys.exit(main())
