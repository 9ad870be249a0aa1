"""`python -m suanli` is the `suanli` command."""

from suanli.cli.main import main

main()
