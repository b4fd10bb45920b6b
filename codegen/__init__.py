"""Code generator: ``schema/<version>/`` -> ``dmsproto/_generated/<version>/``.

Run ``python -m codegen`` (or ``nox -s codegen``); ``--check`` fails when the
committed output differs from what the schemas generate.
"""
