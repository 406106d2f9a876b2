"""The whole web app: the API and pages of ``assistant.web`` with the chat of ``assistant.chat`` at "/"."""

from __future__ import annotations

from assistant.feedback import FeedbackStore
from assistant.service import Service
from assistant.web import create_api


def create_app(
    service: Service, feedback: FeedbackStore, users=None, prebuild_onboarding: bool = False, chat_later: bool = False
):
    """``users``: an ``auth.Users``; when given, every route needs a login and admins get the upload tab.
    ``prebuild_onboarding``: build the onboarding path in the background at once (``serve`` does).
    ``chat_later``: answer /api/ask at once and mount the chat when it is built (``serve`` does: Gradio takes
    about 3 s to import), instead of building it now."""

    def mount(parent):
        from assistant.chat import mount_chat  # lazy: imports Gradio (about 3 s), after the API answers

        return mount_chat(parent, service, feedback, users, prebuild_onboarding)

    return create_api(service, feedback, users, chat=mount, chat_later=chat_later)
