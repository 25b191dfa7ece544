"""The public tips server of Trace An Object (``cumberland tips serve``): an edge that takes
tips for the objects of a published site and keeps them in its own small database until the
agency pulls them into the case (``cumberland tips pull``).

It may run outside the agency network, so it imports nothing of the store and never opens a
case workspace (tests/tips check both); it knows the objects only from the site's feed. It
keeps no IP address, user agent or cookie, and logs nothing about a sender."""
