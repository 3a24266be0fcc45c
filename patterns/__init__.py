"""Rule and checklist files (data, not code).

This folder is a package only so that importlib.resources finds the files both in a source
checkout and inside an installed wheel, where it is shipped as ``docanalyzer.patterns``.
"""
