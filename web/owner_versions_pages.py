"""The published versions of the pathway: who published each, when and why, with links to its changes.

Process owners and reviewers read this page; everything on it comes from casepath.services.catalogue.
"""

from __future__ import annotations

from typing import Any

from casepath.services import catalogue
from web.blueprint import blp, core, page, signed_in
from web.owner_tools_pages import allowed

READERS = ("process_owner", "reviewer")


@blp.get("/owner/versions")
@signed_in
def owner_versions() -> Any:
    me = allowed(READERS, "Only a process owner or a reviewer may see the versions of the pathway.")
    listed = catalogue.list_versions(core(), me)
    return page("owner/versions.html", versions=listed, may_edit=me.has("process_owner"), nav_active="editor")
