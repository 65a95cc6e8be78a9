"""Everything that holds SQL: the engine, the schema and one module per stored concern."""

from .db import Database
from .schema import metadata

__all__ = ["Database", "metadata"]
