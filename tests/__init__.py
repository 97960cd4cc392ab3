from . import test_call
from . import test_conference
from . import test_demo_data
from . import test_extension
from . import test_incoming_number
from . import test_pbx
from . import test_security
from . import test_user_settings
