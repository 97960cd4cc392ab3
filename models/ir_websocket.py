"""The bus channels of the live-calls board: a telephony manager's browser listens to each of their companies."""

from odoo import models

from ..tools.groups import MANAGER_GROUP
from .telephony_call_supervise import LIVE_BOARD_CHANNEL


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        return super()._build_bus_channel_list(channels) + self._telephony_live_board_channels()

    def _telephony_live_board_channels(self):
        """One channel per company: a manager hears only of the calls of the companies they belong to."""
        user = self.env.user
        if not user or user._is_public() or not user.has_group(MANAGER_GROUP):
            return []
        return [(company, LIVE_BOARD_CHANNEL) for company in user.company_ids]
