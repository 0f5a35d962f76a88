"""Contact Groups: the wire client (``wire``), e-mail to user lookup (``users``), one group per name
(``one_per_name``) and the ``GroupAPI`` backend over them (``backend.ContactGroups``)."""
