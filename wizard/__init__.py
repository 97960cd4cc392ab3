from . import telephony_conference_invite
from . import telephony_meeting_wizard
from . import telephony_link_number
