"""Command line: ``python -m assistant ingest|search|ask|chat|serve|adduser|deluser|status|verify|prune-cache``
and ``import-vectors``.

Commands are thin: they build ``Settings.of(--index, ...)``, call a function that returns a record (a refresh
report, an answer, a status) and print it as text or JSON; errors a user should see become Click's messages."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import click

from assistant import cli_fr
from assistant.auth import Users
from assistant.errors import AssistantError, ConfigError, IndexMismatch
from assistant.feedback import FeedbackStore
from assistant.generations import IndexBusy, writer_lock
from assistant.index import Index, analysis_warning
from assistant.index import status as index_status
from assistant.options import auth_file_option, index_option
from assistant.records import CHECK_NOTE
from assistant.service import Service, limit_malloc_arenas
from assistant.settings import Settings
from assistant.shipped import import_vectors
from assistant.vectorcache import VectorCache, cache_path, prune_file
from ingest.build import Builder
from ingest.integrity import check, repair
from ingest.pipeline import refresh

cli_fr.install()  # Click's own messages (usage errors, help headings) in French


BUSY_EXIT = 75  # sysexits' EX_TEMPFAIL: `make index` goes on with the generation serving when it gets it
MISMATCH_EXIT = 78  # sysexits' EX_CONFIG: the index was built with other settings (see --rebuild-if-changed)


def run(fn):
    """Turn the errors a user should see into clean messages and exit codes."""
    try:
        return fn()
    except IndexBusy as exc:  # another refresh holds the index: exit code 75 (EX_TEMPFAIL), try again later
        error = click.ClickException(str(exc))
        error.exit_code = BUSY_EXIT
        raise error from exc
    except IndexMismatch as exc:  # built with another model or chunking: exit code 78 (EX_CONFIG)
        error = click.ClickException(str(exc))
        error.exit_code = MISMATCH_EXIT
        raise error from exc
    except AssistantError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="assistant-ars-am")
def cli():
    """Assistant documentaire pour les agents des ARS et de l'Assurance Maladie.

    Réponses courtes, chaque phrase avec sa citation [n] (document, article ou paragraphe).
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@click.option(
    "--keep-missing", is_flag=True, help="Ne pas retirer les documents dont les fichiers ont disparu de PATHS."
)
@click.option(
    "--rebuild",
    is_flag=True,
    help="Construire la génération suivante à partir des seuls fichiers, avec les réglages actuels (après un "
    "changement de modèle d'embedding ou de découpage) ; la génération actuelle continue de répondre pendant ce temps.",
)
@click.option(
    "--rebuild-if-changed",
    is_flag=True,
    help="Reconstruire comme --rebuild, seulement si l'index a été construit avec d'autres réglages (autre modèle "
    "d'embedding ou autre découpage), ce qui sinon arrête l'ingestion avec le code de sortie 78 ; un index construit "
    "avec ces réglages est mis à jour comme d'habitude.",
)
@click.option(
    "--deep",
    is_flag=True,
    help="Calculer l'empreinte de chaque fichier, même de ceux dont la taille et la date de modification n'ont pas "
    "changé (sans cela, une modification qui les garde toutes deux passe inaperçue).",
)
@click.option(
    "--vectors-later",
    is_flag=True,
    help="Publier la nouvelle génération sans rien vectoriser : elle répond tout de suite, par BM25 seul (les deux "
    "codes en 30 s environ au lieu d'une heure environ avec les deux modèles par défaut). L'ingestion suivante sans "
    "cette option vectorise ce qui manque et publie la génération qui cherche aussi par vecteurs ; un serveur en "
    "marche y passe sans redémarrer.",
)
@click.option("--json", "as_json", is_flag=True, help="Afficher le rapport en JSON.")
@click.option("--quiet", is_flag=True, help="Sans barre de progression.")
def ingest(paths, index, keep_missing, rebuild, rebuild_if_changed, deep, vectors_later, as_json, quiet):
    """Mettre l'index en accord avec PATHS (fichiers ou dossiers) : ajouter les nouveaux documents, remplacer ceux
    qui ont changé, retirer ceux qui ont été supprimés ; les autres ne sont ni relus ni revectorisés.

    Les changements sont construits dans une nouvelle génération de l'index, vérifiée, puis publiée d'un coup ;
    jusque-là (et si l'exécution est interrompue) la génération précédente continue de répondre, et l'exécution
    suivante reprend le travail. Code de sortie 1 quand un fichier a échoué (les autres sont indexés) ou que la
    mise à jour n'a pas pu aboutir ; 75 quand une autre mise à jour tient l'index (rien n'a été fait) ; 78 quand
    l'index a été construit avec d'autres réglages (rien n'a été fait ; voir --rebuild et
    --rebuild-if-changed)."""
    settings = Settings.of(index)

    def go():
        bars = {}

        def on_event(kind, data):
            if kind == "rebuild":  # said even with --quiet: the whole index is embedded again
                click.echo(f"Index construit avec d'autres réglages ({data['why']}) : reconstruction.", err=True)
            if kind == "array":  # said even with --quiet: a new generation was published for it
                click.echo(
                    f"Vecteurs en tableau sur {data['bits']} bits, {data['wanted']} demandés "
                    "(ASSISTANT_EXACT_VECTOR_BITS) : tableau enregistré à nouveau dans la génération publiée "
                    "(aucun vecteur recalculé).",
                    err=True,
                )
            if quiet:
                return
            from tqdm import tqdm

            if kind == "scan":
                bars["files"] = tqdm(total=data["files"], desc="lecture", unit="fichier", file=sys.stderr)
            elif kind == "file":
                bars["files"].update(1)
            elif kind == "embed_start":
                bars["files"].close()
                if data["chunks"]:
                    bars["embed"] = tqdm(total=data["chunks"], desc="embeddings", unit="passage", file=sys.stderr)
            elif kind == "embedded":
                bars["embed"].update(data["n"])
            elif kind == "derived" and "embed" in bars:
                bars["embed"].close()
            elif kind == "windows_start" and data["windows"]:
                bars["windows"] = tqdm(total=data["windows"], desc="fenêtres", unit="fenêtre", file=sys.stderr)
            elif kind == "windowed" and "windows" in bars:
                bars["windows"].update(data["n"])

        report = refresh(
            settings,
            paths,
            on_event=on_event,
            remove_missing=not keep_missing,
            rebuild=rebuild,
            deep=deep,
            vectors_later=vectors_later,
            rebuild_if_changed=rebuild_if_changed,
        )
        for bar in bars.values():
            bar.close()
        if as_json:
            click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
        else:
            click.echo(f"Index : {settings.index}")
            click.echo(f"  ajoutés      {len(report.added)}")
            click.echo(f"  mis à jour   {len(report.updated)}")
            click.echo(f"  inchangés    {len(report.unchanged)}")
            click.echo(f"  supprimés    {len(report.removed)}")
            click.echo(f"  en échec     {len(report.failed)}")
            for doc_id in report.removed:
                click.echo(f"    supprimé : {doc_id}")
            for path, reason in report.failed:
                click.echo(f"    échec : {path} : {reason}")
            for path, warning in report.warnings:
                click.echo(f"    attention : {path} : {warning}")
            cached = f", {report.chunks_from_cache} repris du cache de vecteurs" if report.chunks_from_cache else ""
            click.echo(
                f"  passages : {report.chunks_total} ({report.chunks_embedded} calculés{cached}) en "
                f"{report.seconds:.1f} s"
            )
            if report.cache_pruned:
                click.echo(
                    f"  cache de vecteurs : {report.cache_pruned} vecteurs inutilisés depuis plus de "
                    f"{settings.vector_cache_days} jours retirés"
                )
            if report.resumed:
                click.echo(
                    f"  reprise de la génération {report.resumed} laissée inachevée par une mise à jour interrompue"
                )
            if report.rebuilt_because:
                click.echo(f"  reconstruit : construit avec d'autres réglages ({report.rebuilt_because})")
            state = "publiée" if report.published else "inchangée"
            click.echo(f"  génération servie : {report.generation} ({state})")
        if report.failed:
            sys.exit(1)

    run(go)


def _print_hits(hits, width=300):
    for i, h in enumerate(hits, 1):
        text = " ".join(h.chunk.text.split())
        click.echo(f"[{i}] {h.chunk.title}, {h.chunk.locator}  (score {h.score:.3f})")
        click.echo(f"    {' > '.join(h.chunk.breadcrumb)}")
        click.echo(f"    {text[:width]}{'…' if len(text) > width else ''}")


@cli.command()
@click.argument("question")
@click.option("--k", type=int, default=None, help="Nombre de passages (par défaut : ASSISTANT_SEARCH_K, 5).")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Afficher les passages en JSON.")
def search(question, k, index, as_json):
    """Afficher les passages qui correspondent le mieux à QUESTION."""

    def go():
        svc = Service(Settings.of(index))
        result = svc.search(question, k)
        hits = result.hits[: k or svc.settings.search_k]
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "question": question,
                        "query": result.query,
                        "hits": [
                            {
                                **h.chunk.to_dict(),
                                "score": h.score,
                                "lexical": h.lexical,
                                "dense": h.dense,
                                "reason": h.reason,
                            }
                            for h in hits
                        ],
                        "timings_ms": result.timings_ms,
                    },
                    ensure_ascii=False,
                    indent=1,
                )
            )
        else:
            _print_hits(hits)

    run(go)


def print_answer(answer) -> None:
    click.echo(answer.answer)
    if answer.confidence == "low":
        click.echo(f"({CHECK_NOTE})")
    if answer.notice:
        click.echo(f"({answer.notice})")
    click.echo()
    if answer.citations:
        click.echo("Sources :")
        for c in answer.citations:
            text = " ".join(c.text.split())
            extra = " ; ".join(x for x in (c.version, c.reference) if x)
            click.echo(f"[{c.n}] {c.cite_as or c.title + ', ' + c.locator}" + (f" ({extra})" if extra else ""))
            if c.url:
                click.echo(f"    {c.url}")
            click.echo(f"    {' > '.join(c.breadcrumb)}")
            click.echo(f"    « {text[:500]}{'…' if len(text) > 500 else ''} »")
    else:
        _print_hits(answer.closest[:3])
        if answer.suggestions:
            click.echo("\nEssayez plutôt :")
            for s in answer.suggestions:
                click.echo(f"  - {s}")


@cli.command()
@click.argument("question")
@index_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Afficher {"question", "answer", "answered", "citations": [...], "timings_ms", "generation", '
    '"confidence"} en JSON (confidence : « high », « low » : à vérifier, vide : refus ou index non calibré).',
)
def ask(question, index, as_json):
    """Répondre à QUESTION à partir du corpus, avec des citations numérotées (sans LLM)."""

    def go():
        answer = Service(Settings.of(index), follow=False).ask(question)
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
        else:
            print_answer(answer)

    run(go)


@cli.command()
@index_option
def chat(index):
    """Boucle interactive : tapez une question, recevez la réponse et ses sources ; ligne vide ou Ctrl-D pour
    quitter."""

    def go():
        svc = Service(Settings.of(index))
        click.echo("Posez votre question (ligne vide pour quitter).")
        while True:
            try:
                question = input("\n? ").strip()
            except (EOFError, KeyboardInterrupt):
                break
            if not question:
                break
            print_answer(svc.ask(question))

    run(go)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=7860, show_default=True, type=int, help="Port d'écoute.")
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    default=None,
    help="Processus qui répondent derrière le port (le maître de gunicorn lance les workers d'uvicorn), chacun avec "
    "l'index ouvert [par défaut : ASSISTANT_WORKERS, ou 1]. Chacun tient son propre index de vecteurs et ses caches ; "
    "à plus d'un, les réponses du chat arrivent entières au lieu de s'afficher au fil de l'eau.",
)
@index_option
def serve(host, port, workers, index):
    """Servir le chat web sur http://HOST:PORT/ et l'API (POST /api/ask, OpenAPI sur /docs). L'API répond dès que
    l'index est ouvert ; le chat arrive quelques secondes plus tard, une fois construit."""

    def go():
        import os

        limit_malloc_arenas()  # before any thread: a server's memory, and each worker's (they inherit it)

        import uvicorn

        from assistant.app import server_app  # lazy: only `serve` needs FastAPI (and Gradio, later)

        settings = Settings.of(index, workers=workers)
        # Each process builds its app from the environment (``assistant.app.server_app``).
        os.environ["ASSISTANT_INDEX"] = str(settings.index)
        os.environ["ASSISTANT_WORKERS"] = str(settings.workers)
        if settings.workers == 1:
            app = server_app()  # a wrong index or login file is said here, before anything is announced
        else:  # said here, once: gunicorn starts a worker that failed to start again and again
            try:
                from assistant.workers import Server  # lazy: gunicorn, and Gradio that it preloads
            except ImportError as exc:
                if (exc.name or "").split(".")[0] not in ("gunicorn", "uvicorn_worker"):
                    raise
                raise ConfigError(
                    f"serve --workers {settings.workers} demande gunicorn et uvicorn-worker ({exc.name} manque) : "
                    "pip install -e . (ou make install) puis relancez, ou servez avec un seul processus."
                ) from None
            Service(settings, follow=False)  # (its catalog's connection is closed with it, before the fork)
            if settings.auth_file is not None:
                Users(settings.auth_file)
            FeedbackStore(settings.feedback_db)
        if warning := analysis_warning(Index(settings)):
            click.echo(f"ATTENTION : {warning}", err=True)
        if settings.auth_file is None and host not in ("127.0.0.1", "localhost", "::1"):
            click.echo(
                f"ATTENTION : le serveur écoute sur {host} sans authentification ; toute personne qui "
                "atteint cette adresse peut l'utiliser. Définissez ASSISTANT_AUTH_FILE.",
                err=True,
            )
        more = f", {settings.workers} processus" if settings.workers > 1 else ""
        click.echo(f"Assistant sur http://{host}:{port}/ (API : http://{host}:{port}/docs{more})")
        # On SIGTERM, open streams (a browser left on the page) are closed after 5 s instead of holding the stop.
        options = {"host": host, "port": port, "log_level": "warning", "timeout_graceful_shutdown": 5}
        if settings.workers == 1:
            uvicorn.run(app, **options)
        else:  # gunicorn's master forks the workers after loading what they can share (assistant.workers)
            Server(settings, host, port).run()

    run(go)


@cli.command()
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["user", "admin"]),
    default="user",
    show_default=True,
    help="user pose des questions ; admin peut aussi ajouter des textes dans le chat.",
)
@auth_file_option
@click.password_option(prompt="Mot de passe")
def adduser(name, role, auth_file, password):
    """Ajouter ou remplacer l'utilisateur NAME dans le fichier des utilisateurs (le mot de passe, 8 caractères au
    moins, est conservé sous forme d'empreinte PBKDF2 salée). Un serveur en marche en tient compte en une
    seconde."""
    run(lambda: Users.add(auth_file, name, password, role))
    click.echo(f"{name} ({role}) enregistré dans {auth_file}")


@cli.command()
@click.argument("name")
@auth_file_option
def deluser(name, auth_file):
    """Retirer l'utilisateur NAME du fichier des utilisateurs. Un serveur en marche le refuse en une seconde."""
    run(lambda: Users.remove(auth_file, name))
    click.echo(f"{name} retiré de {auth_file}")


@cli.command()
@index_option
@click.option("--json", "as_json", is_flag=True, help="Afficher l'état en JSON.")
def status(index, as_json):
    """Afficher ce que contient l'index, ses générations et les réglages avec lesquels il a été construit."""

    def go():
        info = index_status(Settings.of(index))
        if as_json:
            click.echo(json.dumps(info, ensure_ascii=False, indent=1))
        else:
            for k, v in info.items():
                if k not in ("warnings", "unfinished"):
                    click.echo(f"{k}: {', '.join(v) if isinstance(v, list) else v}")
            for w in info["warnings"]:
                click.echo(f"ATTENTION : {w}")

    run(go)


@cli.command()
@index_option
@click.option(
    "--fix", is_flag=True, help="Réparer ce qui peut l'être (revectoriser, supprimer les orphelins, reconstruire BM25)."
)
@click.option(
    "--deep",
    is_flag=True,
    help="Calculer l'empreinte de chaque fichier source : trouve une modification qui a gardé la taille et la date "
    "du fichier (sans cela, seuls les fichiers dont la taille ou la date a changé sont relus).",
)
@click.option("--json", "as_json", is_flag=True, help="Afficher les constats en JSON.")
def verify(index, fix, deep, as_json):
    """Vérifier l'index contre son manifeste et ses fichiers : vecteurs manquants ou orphelins, index lexical à
    jour, nombre de passages, sources disparues ou modifiées (par taille et date, puis empreinte du contenu ;
    --deep : par empreinte pour chaque fichier), dans la génération servie. Code de sortie 1 quand l'index est
    incohérent (après --fix : quand quelque chose n'a pas pu être réparé). --fix répare la génération servie sur
    place, en tenant le verrou de mise à jour."""

    def go():
        settings = Settings.of(index)
        idx = Index(settings)
        problems = check(idx, deep=deep)
        if fix and not problems.ok:
            idx.check_settings()  # vectors made with these settings would not match those of an index made otherwise
            with writer_lock(settings.index):
                repair(Builder(settings, path=idx.path), problems)
            idx = Index(settings, path=idx.path)  # as repaired (its vectors' count is said below)
            before, problems = problems, check(idx, deep=deep)
            if not as_json:
                click.echo("Réparé : " + ("; ".join(before.lines()) or "rien"))
        if as_json:
            click.echo(json.dumps(problems.to_dict(), ensure_ascii=False, indent=1))
        else:
            docs, chunks = idx.catalog.counts()
            click.echo(f"Index {idx.path} : {docs} documents, {chunks} passages, {idx.store.count()} vecteurs")
            for line in problems.lines():
                click.echo(f"  - {line}")
            click.echo("Index cohérent." if problems.ok else "Index incohérent : relancer avec --fix.")
        if not problems.ok:
            sys.exit(1)

    run(go)


@cli.command("prune-cache")
@index_option
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Retirer les vecteurs qu'aucune mise à jour n'a lus ni écrits depuis plus de N jours [par défaut : "
    "ASSISTANT_VECTOR_CACHE_DAYS, 90] ; 0 ne retire rien.",
)
@click.option("--json", "as_json", is_flag=True, help="Afficher le résultat en JSON.")
def prune_cache(index, days, as_json):
    """Retirer du cache de vecteurs ceux qu'aucune mise à jour n'a lus ni écrits depuis plus de N jours et, si
    l'un d'eux a été retiré, compacter son fichier (VACUUM de SQLite : il faut un moment environ la taille du
    fichier libre sur le disque, et les écritures des autres processus dans le cache attendent pendant ce temps).

    Le cache est le fichier que nomme ASSISTANT_VECTOR_CACHE (vector-cache.sqlite à côté du dossier de l'index par
    défaut), partagé par tous les dossiers d'index qui l'utilisent. Ce n'est qu'un cache : un vecteur retiré alors
    qu'un index tient encore son passage est recalculé quand une mise à jour en a besoin (un --rebuild, un autre
    index du même texte). Une mise à jour qui vectorise des passages l'élague d'elle-même une fois publiée ; cette
    commande élague un cache qu'aucune mise à jour n'a utilisé récemment, avec une autre limite, et rend la place.
    Code de sortie 1 quand le cache n'a pas pu être lu, élagué ou compacté."""

    def go():
        settings = Settings.of(index, vector_cache_days=days)
        path = cache_path(settings.vector_cache, settings.index)
        if path is None:
            if as_json:
                click.echo(json.dumps({"path": None, "days": settings.vector_cache_days, "removed": 0, "kept": 0}))
            else:
                click.echo("Cache de vecteurs désactivé (ASSISTANT_VECTOR_CACHE=off) : rien à élaguer.")
            return
        result = prune_file(path, settings.vector_cache_days)
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        elif not path.exists():
            click.echo(f"Aucun cache de vecteurs à {path} : rien à élaguer.")
        else:
            why = (
                f"inutilisés depuis plus de {result['days']} jours"
                if result["days"]
                else "élagage désactivé : --days 0 ou ASSISTANT_VECTOR_CACHE_DAYS=0"
            )
            click.echo(f"Cache de vecteurs : {path}")
            click.echo(f"  retirés   {result['removed']} ({why})")
            click.echo(f"  gardés    {result['kept']}")
            click.echo(f"  taille    {result['bytes_before'] / 1e6:.1f} Mo -> {result['bytes_after'] / 1e6:.1f} Mo")
        if result["error"]:
            click.echo(f"  erreur : {result['error']}", err=True)
            sys.exit(1)

    run(go)


@cli.command("import-vectors")
@click.argument("file", type=click.Path(path_type=Path))
@index_option
@click.option("--json", "as_json", is_flag=True, help="Afficher le résultat en JSON.")
def import_vectors_cmd(file, index, as_json):
    """Mettre dans le cache de vecteurs de l'index les vecteurs livrés FILE (codes/vectors.npz : ceux de corpus/ et
    des deux codes, écrits par scripts/ship_vectors.py), pour que l'ingestion ne calcule que ceux des passages
    qu'il n'a pas. `make index` et `make curated` le font avant d'ingérer (1 à 3 s) : la génération avec les
    vecteurs des codes entiers est publiée environ 30 s après la première au lieu d'environ une heure.

    Un vecteur déjà dans le cache est gardé. Affiche, pour chaque modèle, les textes du fichier et les vecteurs
    ajoutés. Code de sortie 1 quand le fichier est illisible (rien n'est ajouté), que le cache est désactivé ou
    qu'il ne peut pas être ouvert ni écrit ; le cache est celui que nomme ASSISTANT_VECTOR_CACHE
    (vector-cache.sqlite à côté du dossier de l'index par défaut)."""

    def go():
        settings = Settings.of(index)
        path = cache_path(settings.vector_cache, settings.index)
        if path is None:
            raise click.ClickException("cache de vecteurs désactivé (ASSISTANT_VECTOR_CACHE=off) : rien à importer")
        try:
            cache = VectorCache(path)
        except (OSError, sqlite3.Error) as exc:
            raise click.ClickException(f"cache de vecteurs {path} inaccessible ({exc})") from exc
        try:
            counts = import_vectors(file, cache)
        finally:
            cache.close()
        if as_json:
            click.echo(json.dumps({"file": str(file), "cache": str(path), "models": counts}, ensure_ascii=False))
            return
        click.echo(f"Vecteurs livrés {file} -> cache {path}")
        for name, (shipped, added) in counts.items():
            click.echo(f"  {name} : {added} ajoutés sur {shipped} ({shipped - added} déjà dans le cache)")

    run(go)


def main():
    cli(prog_name="python -m assistant")


if __name__ == "__main__":
    main()
