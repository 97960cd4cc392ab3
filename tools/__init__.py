from . import ari_events
from . import phone
from . import webhook
from . import groups
