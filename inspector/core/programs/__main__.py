"""`python -m inspector.core.programs [files or folders]`: validate program definitions, print every problem."""
import sys

from .loader import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
