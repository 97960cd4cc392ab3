import re

from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

# [0-9], not \d: \d takes any Unicode digit, which no phone keypad types.
EXTENSION_PATTERN = re.compile(r"[0-9]{3,5}")


class TelephonyExtensionMixin(models.AbstractModel):
    """Records that own an internal extension of the PBX dial plan (rooms, users).

    An extension is unique within a company, across every model that inherits this mixin: a PBX belongs to
    one company and rings an extension only in that company (``res.users._telephony_user_with_extension``,
    ``telephony.pbx._resolve_destination``), so two companies with their own PBX may both use 101, while a
    room cannot take the extension of a user of its company, nor the reverse. A user belonging to several
    companies holds their extension in each of them, so it must be free in all of them.

    A constraint checks this and names who holds the extension. No UNIQUE index backs it: a user's companies
    are a many2many, which an index cannot follow. Instead the check first writes the row of each (company,
    extension) it checks in the table ``telephony_extension_claim`` (see :meth:`_claim_extension`), so two
    transactions giving one extension at the same time cannot both pass it.
    """

    _name = "telephony.extension.mixin"
    _description = "Internal Extension Holder"
    _telephony_extension_field = "extension"
    # The company (many2one) or companies (many2many) within which the extension must be unique.
    _telephony_extension_company_field = "company_id"

    def init(self):
        self.env.cr.execute(
            """CREATE TABLE IF NOT EXISTS telephony_extension_claim (
                   company_id integer NOT NULL,
                   extension varchar NOT NULL,
                   claimed_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
                   PRIMARY KEY (company_id, extension)
               )"""
        )
        return super().init()

    @api.model
    def _claim_extension(self, extension, companies):
        """Serialise the transactions that give ``extension`` to someone in one of ``companies``.

        The check reads its transaction's snapshot, so two transactions begun before either commits would both
        find the extension free. Each writes the claim row of every (company, extension) before it looks: the
        second one waits for the first, then fails with a serialization error (REPEATABLE READ) once the first
        commits. Odoo runs the request again, and its check then names the first holder.
        """
        self.env.cr.execute(
            SQL(
                """INSERT INTO telephony_extension_claim (company_id, extension)
                   SELECT company_id, %s FROM unnest(%s::integer[]) AS company_id ORDER BY company_id
                   ON CONFLICT (company_id, extension) DO UPDATE SET claimed_at = EXCLUDED.claimed_at""",
                extension,
                sorted(companies.ids),
            )
        )

    @api.model
    def _telephony_extension_models(self):
        children = self.pool["telephony.extension.mixin"]._inherit_children
        return [self.env[name] for name in children if not self.env[name]._abstract]

    @api.model
    def _find_extension_owners(self, extension, companies):
        """Return every record, archived ones included, that holds ``extension`` in one of ``companies``."""
        owners = []
        for model in self._telephony_extension_models():
            domain = [
                (model._telephony_extension_field, "=", extension),
                (model._telephony_extension_company_field, "in", companies.ids),
            ]
            owners.extend(model.sudo().with_context(active_test=False).search(domain))
        return owners

    @api.constrains(lambda self: (self._telephony_extension_field, self._telephony_extension_company_field))
    def _check_extension_available(self):
        for holder in self:
            extension = holder[self._telephony_extension_field]
            if not extension:
                continue
            if not EXTENSION_PATTERN.fullmatch(extension):
                raise ValidationError(
                    self.env._(
                        'The extension "%(extension)s" is invalid: an internal extension is 3 to 5 digits.',
                        extension=extension,
                    )
                )
            companies = holder.sudo()[self._telephony_extension_company_field]
            self._claim_extension(extension, companies)
            others = [owner for owner in self._find_extension_owners(extension, companies) if owner != holder]
            if others:
                shared = companies & others[0][others[0]._telephony_extension_company_field]
                raise ValidationError(
                    self.env._(
                        "The extension %(extension)s is already taken in %(company)s by %(kind)s %(owner)s.",
                        extension=extension,
                        company=shared[:1].display_name,
                        owner=others[0].display_name,
                        kind=self.env["ir.model"]._get(others[0]._name).name,
                    )
                )
