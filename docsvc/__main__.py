"""``python -m docsvc`` is the ``docsvc`` command."""

from docsvc.cli.main import main

main()
