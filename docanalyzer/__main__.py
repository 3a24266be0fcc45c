"""``python -m docanalyzer``: the same command line as ``docanalyzer``."""

from docanalyzer.cli import main

main()
