"""The ``cumberland`` command line: an edge over the core, never imported by it.

Each command group lives in its own module and registers itself on the shared Typer app.
"""

from cumberland.cli import deconflict as _deconflict  # noqa: F401  (registers commands)
from cumberland.cli import find as _find  # noqa: F401  (registers commands)
from cumberland.cli import inspect as _inspect  # noqa: F401  (registers commands)
from cumberland.cli import library as _library  # noqa: F401  (registers commands)
from cumberland.cli import main as _main  # noqa: F401  (registers commands)
from cumberland.cli import objects as _objects  # noqa: F401  (registers commands)
from cumberland.cli import places as _places  # noqa: F401  (registers commands)
from cumberland.cli import platform as _platform  # noqa: F401  (registers commands)
from cumberland.cli import signals as _signals  # noqa: F401  (registers commands)
from cumberland.cli import tips as _tips  # noqa: F401  (registers commands)
from cumberland.cli import vision as _vision  # noqa: F401  (registers commands)
from cumberland.cli import web as _web  # noqa: F401  (registers commands)
from cumberland.cli.common import app

__all__ = ["app"]
