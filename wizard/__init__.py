from . import telephony_conference_invite
from . import telephony_meeting_wizard
