"""`python -m inspector.core.checklist [files or folders]`: validate checklists, print every problem."""
import sys

from .loader import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
