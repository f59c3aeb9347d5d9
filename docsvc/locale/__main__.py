"""``python -m docsvc.locale update|compile|check``: see :mod:`docsvc.locale.tooling`."""

from __future__ import annotations

import sys

from docsvc.locale import tooling

USAGE = "usage: python -m docsvc.locale update|compile|check"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(USAGE, file=sys.stderr)
        return 2
    command = argv[0]
    if command == "update":
        tooling.update()
        print(f"updated {tooling.POT.relative_to(tooling.ROOT)} and the .po files")
    elif command == "compile":
        for mo in tooling.compile_all():
            print(f"compiled {mo.relative_to(tooling.ROOT)}")
    elif command == "check":
        problems = tooling.check()
        if problems:
            print(problems.report(), file=sys.stderr)
            print("run `make catalogue-update`, then translate what is listed", file=sys.stderr)
            return 1
        print("the message catalogues are current and Spanish is complete")
    else:
        print(USAGE, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
