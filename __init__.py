from . import cli
from . import models
from . import wizard
from . import tools
