"""`python -m adapters` runs the `advisor` command (used where the console script isn't on PATH)."""

from adapters.cli import main_entry

main_entry()
