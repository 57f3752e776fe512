"""Moderation: the queue and the decisions taken on reports and comments, and the journal of staff decisions."""
