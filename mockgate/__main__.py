"""``python -m mockgate``: the ``mockgate`` command."""

from mockgate.cli import main

main()
