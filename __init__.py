from . import cli
from . import controllers
from . import models
from . import wizard
from . import tools


def _telephony_post_init(env):
    """Match numbers typed before the addon was installed: every partner's E.164 numbers, in batches."""
    env["res.partner"]._telephony_recompute_numbers()
