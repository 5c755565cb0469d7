"""relancegit: a plain-text, git-based collections ledger for French freelancers and SMEs."""

__version__ = "0.1.0"
