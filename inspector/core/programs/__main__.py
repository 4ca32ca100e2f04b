"""`python -m inspector.core.programs [files or folders]`: validate program definitions, print every problem."""
import sys

from .loader import main

raise SystemExit(main(sys.argv[1:]))
