from . import telephony_extension_mixin
from . import telephony_pbx
from . import telephony_conference
from . import telephony_conference_participant
from . import telephony_incoming_number
from . import telephony_call
from . import res_users
from . import hr_employee
