"""Entry point for running from a checkout or a PyInstaller bundle: the same ``main()`` as ``receptionist``."""

import sys

from receptionist.cli import main

if __name__ == "__main__":
    sys.exit(main())
