from odoo import api, models


class IrUiMenu(models.Model):
    _inherit = "ir.ui.menu"

    @api.model
    def _load_menus_blacklist(self):
        # Statistics come with calling from Odoo (seed 003): a personal setting, not a group.
        blacklist = super()._load_menus_blacklist()
        if not self.env.user.telephony_enabled:
            menu = self.env.ref("telephony.telephony_menu_statistics", raise_if_not_found=False)
            if menu:
                blacklist.append(menu.id)
        return blacklist
