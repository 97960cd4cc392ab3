import re

from odoo import api, models
from odoo.exceptions import ValidationError

EXTENSION_PATTERN = re.compile(r"\d{3,5}")


class TelephonyExtensionMixin(models.AbstractModel):
    """Records that own an internal extension of the PBX dial plan (rooms, users).

    Every model that inherits this mixin shares one extension namespace: a room cannot
    take a user's extension or the reverse, because the PBX could not tell them apart.
    The check runs before the write reaches the database, so the user reads who holds the
    extension rather than a unique-constraint error.
    """

    _name = "telephony.extension.mixin"
    _description = "Internal Extension Holder"
    _telephony_extension_field = "extension"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_extension_available(vals.get(self._telephony_extension_field))
        extensions = [
            vals[self._telephony_extension_field] for vals in vals_list if vals.get(self._telephony_extension_field)
        ]
        if len(extensions) != len(set(extensions)):
            raise ValidationError(self.env._("Several records cannot be given the same extension at once."))
        return super().create(vals_list)

    def write(self, vals):
        extension = vals.get(self._telephony_extension_field)
        if extension:
            if len(self) > 1:
                raise ValidationError(
                    self.env._("Several records cannot be given the same extension %(extension)s.", extension=extension)
                )
            self._check_extension_available(extension)
        return super().write(vals)

    @api.model
    def _telephony_extension_models(self):
        children = self.pool["telephony.extension.mixin"]._inherit_children
        return [self.env[name] for name in children if not self.env[name]._abstract]

    @api.model
    def _find_extension_owners(self, extension):
        """Return every record, archived ones included, that holds ``extension``."""
        owners = []
        for model in self._telephony_extension_models():
            domain = [(model._telephony_extension_field, "=", extension)]
            owners.extend(model.sudo().with_context(active_test=False).search(domain))
        return owners

    def _check_extension_available(self, extension):
        """Refuse ``extension`` for ``self`` (empty when creating) with a message naming the problem."""
        if not extension:
            return
        if not EXTENSION_PATTERN.fullmatch(extension):
            raise ValidationError(
                self.env._(
                    'The extension "%(extension)s" is invalid: an internal extension is 3 to 5 digits.',
                    extension=extension,
                )
            )
        others = [owner for owner in self._find_extension_owners(extension) if owner != self]
        if others:
            raise ValidationError(
                self.env._(
                    "The extension %(extension)s is already taken by %(kind)s %(owner)s.",
                    extension=extension,
                    owner=others[0].display_name,
                    kind=self.env["ir.model"]._get(others[0]._name).name,
                )
            )
