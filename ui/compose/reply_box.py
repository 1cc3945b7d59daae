"""Replying from the detail pane. The reply box grew into the composer (ui/composer.py)."""

from __future__ import annotations

from ui.compose.composer import DRAFT_DELAY_MS, Composer

ReplyBox = Composer

__all__ = ["DRAFT_DELAY_MS", "ReplyBox"]
