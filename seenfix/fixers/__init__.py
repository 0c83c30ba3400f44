"""Built-in fixers, one module per problem.  They are registered through the ``seenfix.fixers``
entry-point group in ``pyproject.toml``, exactly as a third-party plugin registers one."""
