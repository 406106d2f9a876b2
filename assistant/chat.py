"""The web chat: the Gradio page (questions, glossary, onboarding path, uploads) on the app of ``assistant.web``.

Importing Gradio and building the page take about 3 to 5 s: ``serve`` answers /api/ask and the article pages
first, then mounts the chat when it is built (``assistant.web.LateChat``)."""

from __future__ import annotations

import threading
from pathlib import Path

import gradio as gr

from assistant.auth import credentials
from assistant.cite import plain_text
from assistant.conversations import Conversations, new_id
from assistant.feedback import FeedbackStore
from assistant.index import index_header
from assistant.onboarding import build_path, path_html
from assistant.records import CHECK_NOTE
from assistant.retrieval import MAX_QUESTION_CHARS
from assistant.service import Service
from assistant.web import (
    COPY_JS,
    INTRO,
    MAX_CHAT_MESSAGES,
    MAX_EXPORT_TURNS,
    MAX_FOLLOWUP_HISTORY,
    TITLE,
    chat_markdown,
    example_questions,
    glossary_rows,
    inert,
    ingest_uploads,
    render_sources,
    write_export,
)
from ingest.loaders import supported


def mount_chat(
    app,
    service: Service,
    feedback: FeedbackStore,
    users=None,
    prebuild_onboarding: bool = False,
    workers: int = 1,
):
    """Build the chat and mount it at "/" of ``app`` (Gradio's startup runs within ``app``'s lifespan); returns
    ``app``. ``users``: an ``auth.Users`` (admins get the upload tab); ``prebuild_onboarding``: build the
    onboarding path in the background at once. ``workers``: the server's processes; with more than one, no event
    goes through Gradio's queue (its two requests could reach two processes) and answers come whole."""
    conversations = Conversations(feedback.path.parent / "conversations.sqlite")
    streaming = workers <= 1

    def respond(question, cid):
        """The conversation lives on the server (``conversations``), found by the id the page holds: the page's
        copy of the chat is never read back, so a client cannot send a huge history. Questions longer than
        /api/ask's limit are refused."""
        question = (question or "").strip()
        state = conversations.get(cid)
        cid = cid if state else new_id()
        chat = list(state.get("chat") or [])
        history = list(state.get("history") or [])
        if not question:
            yield chat, render_sources(service, None), cid, "", gr.skip(), gr.skip()
            return
        if len(question) > MAX_QUESTION_CHARS:
            chat = (
                chat
                + [
                    {"role": "user", "content": inert(question[:200]) + " …"},
                    {
                        "role": "assistant",
                        "content": inert(
                            f"Question trop longue ({len(question)} caractères ; limite {MAX_QUESTION_CHARS}) : "
                            "posez-la en quelques phrases."
                        ),
                    },
                ]
            )[-MAX_CHAT_MESSAGES:]
            if state:  # a refused question never opens a conversation (nothing stored for a stranger's loop)
                conversations.put(cid, state | {"chat": chat})
            yield chat, render_sources(service, None), cid, "", gr.skip(), gr.skip()
            return
        query = service.standalone(question, history)
        answer = service.ask(query)
        chat = (chat + [{"role": "user", "content": inert(question)}, {"role": "assistant", "content": ""}])[
            -MAX_CHAT_MESSAGES:
        ]
        sources = render_sources(service, answer)
        words = chat_markdown(answer.answer, answer.notice, answer.suggestions, answer.confidence).split(" ")
        whole = {"role": "assistant", "content": " ".join(words)}
        notes = [CHECK_NOTE] * (answer.confidence == "low") + [answer.notice] * bool(answer.notice)
        shown = "\n\n".join([answer.answer, *notes])
        turn = {
            "question": question,
            "answer": shown,
            "answered": answer.answered,
            "citations": [c.to_dict() for c in answer.citations],
            "suggestions": list(answer.suggestions),
        }
        turns = (list(state.get("turns") or []) + [turn])[-MAX_EXPORT_TURNS:]
        export_id = state.get("export_id") or new_id()  # not the conversation's id: export folders can be listed
        # Stored before the answer streams in: a thumbs up given while it streams rates the answer on screen.
        conversations.put(
            cid,
            {
                "export_id": export_id,
                "history": (history + [query])[-MAX_FOLLOWUP_HISTORY:],
                "chat": chat[:-1] + [whole],
                "turns": turns,
                "last": {"question": question, "query": query, "answer": answer.to_dict()},
            },
        )
        if streaming:
            step = 6
            for i in range(step, len(words), step):  # the answer streams in (Gradio sends each change only)
                chat[-1] = {"role": "assistant", "content": " ".join(words[:i])}
                yield chat, sources, cid, "", gr.skip(), gr.skip()
        chat[-1] = whole
        copy = plain_text(shown, answer.citations) if answer.answered else shown
        yield chat, sources, cid, "", copy, write_export(export_id, turns)

    def respond_at_once(question, cid):
        """With several workers: one request, one reply (Gradio's queue keeps a session in one process)."""
        *_, last = respond(question, cid)
        return last

    def save_feedback(rating, comment, cid):
        last = conversations.get(cid).get("last")
        if not last:
            return "Posez d'abord une question."
        feedback.add(
            rating, last["question"], last["answer"], service.settings.describing(), comment or "", last["query"]
        )
        return "Merci : avis enregistré." if rating > 0 else "Merci : avis enregistré, il aidera à corriger."

    def role_of(request) -> str | None:
        if users is None:
            return None
        creds = credentials(request.headers.get("authorization")) if request is not None else None
        # the middleware has checked these credentials already: Users.role answers from its cache, no hashing
        return users.role(*creds) if creds else None

    def upload(files, request: gr.Request):
        paths = [Path(f if isinstance(f, str) else f.name) for f in files or []]
        try:
            if role_of(request) != "admin":
                return "Réservé aux administrateurs."
            return ingest_uploads(service, paths)
        finally:  # Gradio's temporary copies are not kept: the accepted files are in the upload folder
            for path in paths:
                path.unlink(missing_ok=True)

    paths: dict[str, str] = {}  # generation -> the onboarding path's page (built once per generation)
    building = threading.Lock()

    def onboarding_page():
        """Built once per generation (2-3 s on the default corpus, about 12 s on the full codes), first in the
        background when the app starts."""
        with building:
            generation = service.generation
            if generation not in paths:
                page_html = path_html(build_path(service))
                paths.clear()
                paths[generation] = page_html
            return paths[generation]

    def prebuild():
        try:
            onboarding_page()
        except Exception:  # noqa: BLE001 - the tab builds it again when opened
            import logging

            logging.getLogger(__name__).exception("the onboarding path could not be built in advance")

    if prebuild_onboarding:
        threading.Thread(target=prebuild, daemon=True, name="onboarding").start()

    def show_upload(request: gr.Request):
        return gr.update(visible=role_of(request) == "admin")

    # Gradio's temporary files (uploads) older than an hour are deleted every 10 minutes.
    with gr.Blocks(title=TITLE, delete_cache=(600, 3600)) as demo:
        # the conversation's id (``conversations``), given by the server with the first answer
        conv = gr.Textbox(visible=False, elem_id="conversation")
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        # What the served generation holds and searches with (BM25 alone while its vectors are computed).
        index_state = gr.Markdown(elem_id="index-state")
        with gr.Tab("Questions"):
            with gr.Row():
                with gr.Column(scale=3):
                    # Answers are made inert by ``chat_markdown``; HTML is sanitized as well, and no LaTeX.
                    chat = gr.Chatbot(
                        label="Conversation", height=460, elem_id="chat", sanitize_html=True, latex_delimiters=[]
                    )
                    with gr.Row():
                        box = gr.Textbox(placeholder="Votre question…", show_label=False, elem_id="question", scale=5)
                        send = gr.Button("Envoyer", variant="primary", elem_id="send", scale=1)
                    gr.Examples(example_questions(service), inputs=box, label="Exemples")
                    with gr.Row():
                        up = gr.Button("👍 Utile", elem_id="thumbs-up")
                        down = gr.Button("👎 Pas utile", elem_id="thumbs-down")
                        comment = gr.Dropdown(
                            ["mauvaise source", "incomplet", "réponse fausse"],
                            value=None,
                            allow_custom_value=True,
                            label="Commentaire (facultatif)",
                            elem_id="comment",
                        )
                    with gr.Row():
                        copy_btn = gr.Button("📋 Copier la réponse et ses sources", elem_id="copy", size="sm")
                        export_btn = gr.DownloadButton(
                            "⬇ Exporter la conversation (Markdown)", value=None, elem_id="export", size="sm"
                        )
                    copy_text = gr.Textbox(visible=False, elem_id="copy-text")
                    status = gr.Markdown(elem_id="feedback-status")
                with gr.Column(scale=2):
                    sources = gr.HTML(render_sources(service, None), elem_id="sources")
        with gr.Tab("Glossaire"):
            gr.Markdown("Les sigles trouvés dans le corpus, leur développement et les passages qui les définissent.")
            find = gr.Textbox(label="Chercher un sigle ou un mot", elem_id="glossary-search")
            table = gr.Dataframe(
                glossary_rows(service),
                headers=["Sigle", "Développement", "Défini dans"],
                wrap=True,
                interactive=False,
                elem_id="glossary",
            )
            find.change(lambda q: glossary_rows(service, q), find, table, queue=streaming)
        with gr.Tab("Parcours d'accueil", elem_id="onboarding-tab") as path_tab:
            gr.Markdown(
                "Les notions qui organisent la coopération ARS / Assurance Maladie, une fiche par notion : "
                "sa définition, qui la pilote ou la préside, ses articles clés et trois questions à poser. "
                "Tout est cité du corpus."
            )
            path = gr.HTML("<p>Chargement du parcours…</p>", elem_id="onboarding")
            path_tab.select(onboarding_page, None, path, queue=streaming)
        with gr.Tab("Ajouter des textes", visible=False) as upload_tab:
            gr.Markdown(f"Textes acceptés : {', '.join(supported())}. Ils sont indexés sans redémarrer le serveur.")
            files = gr.File(file_count="multiple", label="Fichiers", elem_id="upload-files")
            go = gr.Button("Indexer", elem_id="upload-go")
            report = gr.Markdown(elem_id="upload-report")
            go.click(upload, files, report, queue=streaming)
        demo.load(show_upload, None, upload_tab, queue=streaming)
        # Read again every 15 s while the vectors are computed; the timer stops once they are in.
        timer = gr.Timer(15)

        def show_index_state():
            idx = service.index
            return index_header(idx), gr.Timer(active=idx.vectors_pending)

        demo.load(show_index_state, None, [index_state, timer], queue=streaming)
        timer.tick(show_index_state, None, [index_state, timer], queue=streaming)
        outputs = [chat, sources, conv, box, copy_text, export_btn]
        copy_btn.click(None, [copy_text], None, js=COPY_JS)
        # One process: Gradio's queue (the answer streams in, 4 at a time). Several workers: each event is one
        # request (the queue's two requests could reach two processes), on the server's thread pool.
        answer_event = {"fn": respond, "concurrency_limit": 4} if streaming else {"fn": respond_at_once, "queue": False}
        gr.on([send.click, box.submit], inputs=[box, conv], outputs=outputs, api_name="respond", **answer_event)
        up.click(lambda c, i: save_feedback(1, c, i), [comment, conv], status, api_name="useful", queue=streaming)
        down.click(
            lambda c, i: save_feedback(-1, c, i), [comment, conv], status, api_name="not_useful", queue=streaming
        )

    app = gr.mount_gradio_app(
        app, demo, path="/", footer_links=["api"], max_file_size=f"{service.settings.upload_max_mb:g}mb"
    )
    return app
