"""``python -m mockserver``: the ``mockgate`` command."""

from mockserver.cli import main

main()
