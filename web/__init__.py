"""Staff web pages: server-rendered GOV.UK Design System pages over casepath.services."""

from __future__ import annotations

from web.setup import init_app

__all__ = ["init_app"]
