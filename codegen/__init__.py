"""Code generator: the bindings, the protocol reference and the docs' tables, from the schemas.

It writes ``schema/<version>/`` -> ``dmsproto/_generated/<version>/``, the protocol
reference of the docs, and the docs' tables of declared options
(:mod:`codegen.tables`, also ``python -m codegen.tables``).

Run ``python -m codegen`` (or ``nox -s codegen``); ``--check`` fails when the
committed output differs from what the schemas generate.
"""
