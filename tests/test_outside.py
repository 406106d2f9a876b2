"""Questions on another code's subject ("congés payés" of an employee, the income tax's brackets) are refused with
the code they belong to, unless a passage found says the subject's words or the index holds that code."""

from fakes import FAKE

from assistant.outside import outside_subject, subjects


def _code(tmp_path, code_folder: str, articles: dict[str, str]):
    section = tmp_path / "c" / code_folder / "chapitre-1-conges"
    section.mkdir(parents=True)
    for number, text in articles.items():
        (section / f"{number.lower()}.md").write_text(f"# Article {number}\n\n<p>{text}</p>", encoding="utf-8")
    return tmp_path / "c"


PRATICIENS = {
    "R6152-35": "Les praticiens hospitaliers ont droit à un congé annuel de vingt-cinq jours ouvrés par an, pris "
    "à leur demande dans l'intérêt du service.",
    "R6152-36": "Le praticien hospitalier à temps plein perçoit des émoluments mensuels fixés par arrêté.",
    "R6152-37": "Les salariés mis à disposition de l'établissement restent payés par leur employeur.",
}
CAISSES = {
    "L243-1-3": "Les caisses de congés payés versent les cotisations dues sur les indemnités de congés payés "
    "qu'elles servent aux salariés.",
}


def test_a_question_on_labour_law_is_refused_with_its_code(tmp_path):
    from assistant.service import Service
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    settings = Settings(index=tmp_path / "i", embedding_model=FAKE, min_coverage=0.0)
    refresh(settings, [_code(tmp_path, "code-de-la-sante-publique", PRATICIENS)])
    question = "combien de jours de congés payés pour un salarié à temps plein ?"
    # Every word is in the corpus, and the praticiens' congé annuel would be cited: refused, the code named.
    answer = Service(settings, follow=False).ask(question)
    assert not answer.answered
    assert "« congés payés » relève du Code du travail, que le corpus ne contient pas" in answer.answer
    # Without the check, the other code is not named.
    off = Service(settings.model_copy(update={"signals_off": "outside"}), follow=False).ask(question)
    assert "relève" not in off.answer
    # Once a passage says "congés payés", a question on them is answered from it.
    refresh(settings, [_code(tmp_path / "more", "code-de-la-securite-sociale", CAISSES), tmp_path / "c"])
    answered = Service(settings, follow=False).ask("cotisations dues sur les indemnités de congés payés")
    assert answered.answered and "L. 243-1-3" in answered.citations[0].cite_as, answered


def test_the_subject_is_matched_as_a_phrase_and_the_held_codes_are_not_refused():
    question = "les tranches de l'impôt sur le revenu 2024"
    found = outside_subject(question, lambda: {"Code de la sécurité sociale"}, ["La contribution sociale..."])
    assert found and found.code == "Code général des impôts" and found.of_code == "du Code général des impôts"
    # A passage that says the words answers it; an index that holds the code too.
    assert outside_subject(question, set, ["le barème de l'impôt sur le revenu prévu à l'article 197"]) is None
    assert outside_subject(question, lambda: {"Code général des impôts"}, []) is None
    # Words apart are no subject: "revenu" and "impôt" in another order.
    assert outside_subject("le revenu fiscal sert-il au calcul de l'impôt ?", set, []) is None
    # Acronyms as words, in any case; "loyer" names the law of 1989.
    assert outside_subject("mes rtt non prises", set, []).code == "Code du travail"
    assert outside_subject("mon loyer a augmenté", set, []).of_code.startswith("de la loi du 6 juillet 1989")


def test_every_subject_is_read_from_the_file_and_matched_as_written():
    entries = subjects()
    assert len(entries) >= 50 and all(e.forms and all(e.forms) and e.code for e in entries)
    # Words as written, not stems: the stem of "loyer" is that of "loi", of "bail" that of "baille".
    assert outside_subject("Le refus de transfusion est-il autorisé par la loi ?", set, []) is None
    assert outside_subject("mes loyers impayés", set, []).words == "loyer"  # a plural
    assert outside_subject("Combien de CONGES PAYES ?", set, []).words == "congés payés"  # accents and case
    assert outside_subject("un congé pour le décès d'un parent", set, []).words == "congé pour décès"  # an article


def test_an_acronym_s_long_form_says_the_subject_and_subjects_of_these_codes_are_left_out():
    # "APL" asked, "aide personnalisée au logement" said: the passage speaks of it
    assert outside_subject("comment calculer mes APL ?", set, []).words == "APL"
    assert outside_subject("comment calculer mes APL ?", set, ["L'aide personnalisée au logement est..."]) is None
    # The codes' own subjects: the SMIC (a unit of their thresholds), the état des lieux of the offer of care,
    # a "livret à remettre" (not the livret A once accents and case are folded), the ASPA's succession
    for question in (
        "Combien d'heures au SMIC faut-il avoir travaillé pour toucher des indemnités journalières ?",
        "Qui établit l'état des lieux de l'offre de soins dans la région ?",
        "Quel livret à remettre au patient hospitalisé ?",
        "L'ASPA est-elle récupérée sur la succession ?",
    ):
        assert outside_subject(question, set, []) is None, question


def test_the_code_of_social_action_holds_the_creation_of_an_ehpad():
    """ "qui autorise la création d'un EHPAD ?" was answered at the full codes with an article on pénalités that
    names EHPAD and "relance par le directeur": the authorisation is the Code de l'action sociale et des familles'
    (no article of the two codes says "création d'un EHPAD" nor "aide sociale à l'hébergement")."""
    found = outside_subject("qui autorise la création d'un EHPAD ?", set, ["Peuvent faire l'objet d'une pénalité…"])
    assert found and found.code == "Code de l'action sociale et des familles"
    assert (
        outside_subject("qui finance l'aide sociale à l'hébergement ?", set, []).words == "aide sociale à l'hébergement"
    )
    assert outside_subject("un EHPAD est-il un établissement de santé ?", set, []) is None  # the EHPAD itself is not
