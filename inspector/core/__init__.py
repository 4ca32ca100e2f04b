"""Domain core: pure Python, no Flask, no database."""
