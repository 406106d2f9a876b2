"""Assistant documentaire ARS / Assurance Maladie: retrieval, answers with citations, CLI."""

__version__ = "0.1.0"
