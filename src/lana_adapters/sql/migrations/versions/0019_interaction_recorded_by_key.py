"""An interaction recorded with an API key names the key besides its author.

Interactions stored before were recorded by users, or with a key no longer known: the
column starts empty.

Revision ID: 0019
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("interactions", sa.Column("api_key_id", sa.Uuid()))


def downgrade() -> None:
    op.drop_column("interactions", "api_key_id")
