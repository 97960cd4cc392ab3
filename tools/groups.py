"""The addon's two security groups, by XML id (security/telephony_security.xml defines them)."""

USER_GROUP = "telephony.group_telephony_user"
MANAGER_GROUP = "telephony.group_telephony_manager"
