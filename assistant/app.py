"""The whole web app: the API and pages of ``assistant.web`` with the chat of ``assistant.chat`` at "/"."""

from __future__ import annotations

from assistant.auth import Users
from assistant.feedback import FeedbackStore
from assistant.service import Service
from assistant.settings import Settings
from assistant.web import create_api


def create_app(
    service: Service,
    feedback: FeedbackStore,
    users=None,
    prebuild_onboarding: bool = False,
    chat_later: bool = False,
    workers: int = 1,
):
    """``users``: an ``auth.Users``; when given, every route needs a login and admins get the upload tab.
    ``prebuild_onboarding``: build the onboarding path in the background at once (``serve`` does).
    ``chat_later``: answer /api/ask at once and mount the chat when it is built (``serve`` does: Gradio takes
    about 3 s to import), instead of building it now. ``workers``: the processes of the server this app runs in
    (``serve --workers``)."""

    def mount(parent):
        from assistant.chat import mount_chat  # lazy: imports Gradio (about 3 s), after the API answers

        return mount_chat(parent, service, feedback, users, prebuild_onboarding, workers)

    return create_api(service, feedback, users, chat=mount, chat_later=chat_later)


def server_app():
    """The app of one process of ``serve``: the settings come from the environment (``serve`` puts its options
    there before it starts its workers), the index is opened and warmed before the process takes requests."""
    settings = Settings.of()
    service = Service(settings)
    service.warm()  # the first user does not wait for the model and the index to load
    users = Users(settings.auth_file) if settings.auth_file else None
    # One process: the API answers at once; the chat (Gradio: about 3 s to import) is mounted when built.
    # Several: each builds its chat before it takes requests. A page served by a worker whose chat is there
    # sends Gradio's next requests to any worker, and one still building answered them with its waiting page:
    # the browser test of two workers saw no chat in 2 of 3 runs once the warm-up got shorter.
    return create_app(
        service,
        FeedbackStore(settings.feedback_db),
        users,
        prebuild_onboarding=True,
        chat_later=settings.workers <= 1,
        workers=settings.workers,
    )
