"""The addon's translation template, exported by Odoo itself.

Odoo walks every addons directory, following symbolic links, to extract the terms of the code. The
development tree links the addon from inside its own ``.build`` directory, so a plain walk loops through
``.build/addons/telephony/.build/...`` until the path is too long: the walk here skips the directories that
are never part of the addon (build output, Node modules, version control).
"""

import io
import os
from contextlib import contextmanager
from unittest.mock import patch

from odoo.tools.translate import trans_export

SKIPPED_DIRS = frozenset({".build", ".git", "node_modules", "__pycache__", ".venv", "venv"})
MODULE = "telephony"


@contextmanager
def _pruned_walk():
    walk = os.walk

    def pruned(top, *args, **kwargs):
        for root, dirs, files in walk(top, *args, **kwargs):
            dirs[:] = [name for name in dirs if name not in SKIPPED_DIRS]
            yield root, dirs, files

    with patch.object(os, "walk", pruned):
        yield


def export_template(cr):
    """The module's .pot file (bytes) as ``odoo-bin --i18n-export`` writes it."""
    buffer = io.BytesIO()
    with _pruned_walk():
        trans_export(False, [MODULE], buffer, "po", cr)
    return buffer.getvalue()
