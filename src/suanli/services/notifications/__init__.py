"""Notifications (通知): what a person is told and how. The notifier (`derive`) reads the facts that
already exist — the audit log (application decisions, applications to review, batches awaiting
approval), job history (a job ended) and wallets (vouchers about to expire) — from its cursors, and
files one notice per person per fact in the in-site inbox and/or the e-mail outbox, as each person
chose (`settings`). `mail.deliver` hands the outbox to the configured SMTP relay with retries. Nothing
here changes the facts themselves; a notice derived twice is filed once."""

from suanli.services.notifications.inbox import (
    KINDS,
    InboxPage,
    MySettings,
    inbox,
    mark_all_read,
    mark_read,
    my_settings,
    save_settings,
    unread_count,
)

__all__ = ["KINDS", "InboxPage", "MySettings", "inbox", "mark_all_read", "mark_read", "my_settings", "save_settings",
           "unread_count"]
