"""Platform numbers that both the renderers and the linter obey (see shared/reference/platforms.md C2).

Kept in one place so a pack that lint accepts always renders on Slack and on Discord.
"""

from __future__ import annotations

from typing import Final

MAX_OPTIONS: Final = 25
"""Discord: one string select holds 25 options; 5 rows x 5 buttons. Slack actions: 25 elements."""
MAX_BUTTON_OPTIONS: Final = 5
"""Above this, Slack and Discord render a select instead of buttons."""
MAX_LABEL: Final = 75
"""Slack button text and select option text."""
RECOMMENDED_LABEL: Final = 30
"""Slack "may truncate with ~30 characters"; Discord guideline 34/38."""
MAX_PROMPT: Final = 2000
"""Discord message content."""
MAX_WHY: Final = 2000
MAX_REASON: Final = 300
"""A reason is quoted in a result line (Discord embed field value 1024 holds several)."""
MAX_CUSTOM_ID: Final = 100
"""Discord custom_id 1..100."""
MAX_SLACK_OPTION_VALUE: Final = 150
"""Slack select option value."""
MAX_ID: Final = 32
ID_PATTERN: Final = r"^[a-z0-9_-]{1,32}$"
MAX_CONVERSATION_ID: Final = 22
MAX_STEP_DIGITS: Final = 6
EMBED_FIELD_VALUE: Final = 1024
EMBED_DESCRIPTION: Final = 4096
EMBED_TITLE: Final = 256
EMBED_TOTAL: Final = 6000
SLACK_SECTION_TEXT: Final = 3000
SLACK_HEADER_TEXT: Final = 150
SLACK_BLOCKS: Final = 50
