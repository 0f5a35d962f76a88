"""The groups layer: one protocol for a Zoom group API (``base``) and its backends of equal standing.

``im`` (IM directory groups, ``/v2/im/groups``) and ``contact`` (Contact Groups, ``/v2/contacts/groups``)
implement ``GroupAPI``; ``selection`` picks the one a connection asks for (``group_api``), with the ``auto``
switch on Zoom's 410 / code 4137; ``membership`` plans and applies a group's members on any of them.
Nothing here is imported when a DAG file is parsed.
"""
