"""Rebuild ``corpus/`` from ``../shared``: the seed texts with metadata and the selected code articles.

Run from the project root: ``python scripts/build_corpus.py [--shared ../shared]``.
The selection is declared here so that it can be reviewed and reproduced.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (seed file, target name, metadata). 001 holds two texts: the note and its annexed convention type.
SEEDS = [
    (
        "000_af30f7ada45d12e5.txt",
        "cooperation-ars-assurance-maladie-bretagne.txt",
        {
            "title": "La coopération entre l'ARS Bretagne et l'Assurance Maladie en gestion du risque",
            "short_title": "Article coopération ARS-AM Bretagne",
            "type": "article",
            "date": "2019",
            "reference": "",
            "source": "Article publié dans une revue (2018-2019), paragraphes numérotés 1 à 40",
        },
    ),
    (
        "002_9bca7119a8f1e342.txt",
        "quotidien-du-medecin-cnam-exercice-coordonne-2021.txt",
        {
            "title": "Les recettes de la CNAM pour doper l'exercice coordonné",
            "short_title": "Le Quotidien du médecin, 2 juillet 2021",
            "type": "article de presse",
            "date": "2021-07-02",
            "reference": "",
            "source": "Le Quotidien du médecin, article de Martin Dumas Primbault",
        },
    ),
    (
        "003_821010c7fdbb634f.txt",
        "igas-2018-041r-deploiement-cpts-synthese.txt",
        {
            "title": "Rapport IGAS n° 2018-041R : déploiement des communautés professionnelles territoriales de santé (synthèse)",
            "short_title": "Rapport IGAS 2018-041R (CPTS)",
            "type": "rapport",
            "date": "2018",
            "reference": "IGAS n° 2018-041R",
            "source": "Synthèse du rapport IGAS, suivie de fragments de pages web de l'URPS sages-femmes Île-de-France",
        },
    ),
    (
        "004_f2ef049fcc446948.txt",
        "assurance-maladie-rapport-annuel-2019-evolutions-systeme-sante.txt",
        {
            "title": "Assurance Maladie, rapport annuel 2019 : accompagner les évolutions du système de santé",
            "short_title": "Assurance Maladie, rapport annuel 2019",
            "type": "rapport",
            "date": "2020",
            "reference": "",
            "source": "Rapport annuel 2019 de l'Assurance Maladie (CPTS, assistants médicaux, DMP, téléconsultation)",
        },
    ),
]
NOTE_SEED = "001_bc498835a73db9a3.txt"
NOTE = (
    "note-information-dss-1d-2018-154.txt",
    {
        "title": "Note d'information n° DSS/1D/2018/154 du 8 juin 2018 relative à la convention type de partenariat PPRGDRESS",
        "short_title": "Note d'information DSS/1D/2018/154",
        "type": "note d'information",
        "date": "2018-06-08",
        "reference": "DSS/1D/2018/154 (NOR : SSAS1817588N)",
        "source": "Ministère des solidarités et de la santé, UNCAM",
    },
)
CONVENTION = (
    "convention-type-pprgdress-2018.txt",
    {
        "title": "Convention type PPRGDRESS",
        "short_title": "Convention type PPRGDRESS",
        "type": "convention",
        "date": "2018-06-08",
        "reference": "Annexe de la note d'information DSS/1D/2018/154",
        "source": "Convention type de partenariat ARS - régimes d'assurance maladie, annexée à la note DSS/1D/2018/154",
    },
)

CSS = "code-de-la-securite-sociale"
CSP = "code-de-la-sante-publique"
CSS_L1 = f"{CSS}/partie-legislative/livre-i-generalites-dispositions-communes-a-tout-ou-partie-des-regimes-de-base"
CSS_SOINS = "titre-vi-dispositions-relatives-aux-prestations-et-aux-soins-controle-medical-tutelle-aux-prestations-sociales/chapitre-2-dispositions-generales-relatives-aux-soins"
CSP_L4 = "premiere-partie-protection-generale-de-la-sante/livre-iv-administration-generale-de-la-sante"

# Folders (whole subtrees) of the codes that matter to ARS / Assurance Maladie coordination, and why.
LEGIFRANCE_SELECTION = [
    (
        f"{CSP}/partie-legislative/{CSP_L4}/titre-iii-agences-regionales-de-sante",
        "CSP, partie législative, livre IV, titre III : les agences régionales de santé (missions, PRS, CPTS L. 1434-12, contractualisation)",
    ),
    (
        f"{CSP}/partie-reglementaire/{CSP_L4}/titre-iii-agences-regionales-de-sante",
        "CSP, partie réglementaire, livre IV, titre III : dont la commission régionale de coordination (R. 1434-13 et suivants)",
    ),
    (
        f"{CSP}/partie-legislative/{CSP_L4}/titre-ier-institutions/chapitre-ier-bis-organisation-des-soins",
        "CSP L. 1411-11 et suivants : organisation des soins, équipes de soins primaires (L. 1411-11-1)",
    ),
    (
        f"{CSS_L1}/{CSS_SOINS}/section-5-etablissements-de-soins",
        "CSS L. 162-22 à L. 162-30-x : établissements de soins, CAQES (L. 162-30-2 à L. 162-30-4)",
    ),
    (
        f"{CSS}/partie-reglementaire-decrets-simples/livre-i-generalites-dispositions-communes-a-tout-ou-partie-des-regimes-de-base/{CSS_SOINS}/section-5-etablissements-de-soins",
        "CSS, décrets simples : pertinence des soins et CAQES (D. 162-9 et suivants)",
    ),
    (f"{CSS_L1}/{CSS_SOINS}/section-6-actions-experimentales", "CSS L. 162-31-1 : expérimentations « article 51 »"),
    (
        f"{CSS_L1}/{CSS_SOINS}/section-31-dispositions-communes-aux-conventions-prevues-aux-sections-1-2-et-3",
        "CSS L. 162-14-1 et suivants : dispositions communes aux conventions (accords conventionnels interprofessionnels)",
    ),
    (
        f"{CSS_L1}/titre-viii-dispositions-diverses-dispositions-dapplication/chapitre-2-bis-union-nationale-des-caisses-dassurance-maladie-union-nationale-des-organismes-dassurance-maladie-complementaire-union-nationale-des-professionnels-de-sante",
        "CSS L. 182-2 et suivants : UNCAM, dont L. 182-2-1-1 (convention ARS - assurance maladie)",
    ),
]


def write_doc(target: Path, text: str, meta: dict) -> None:
    target.write_text(text, encoding="utf-8")
    target.with_name(target.name + ".meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    seeds = args.shared / "seeds"
    out = ROOT / "corpus" / "documents"
    out.mkdir(parents=True, exist_ok=True)
    for seed, name, meta in SEEDS:
        write_doc(out / name, (seeds / seed).read_text(encoding="utf-8"), {**meta, "seed": seed})
    note_text = (seeds / NOTE_SEED).read_text(encoding="utf-8")
    head, sep, annex = note_text.partition("\nANNEXE\n")
    assert sep, "the note's annex marker moved"
    write_doc(out / NOTE[0], head.strip() + "\n", {**NOTE[1], "seed": NOTE_SEED})
    write_doc(out / CONVENTION[0], annex.strip() + "\n", {**CONVENTION[1], "seed": NOTE_SEED})

    src = args.shared / "corpora" / "legifrance"
    dst = ROOT / "corpus" / "legifrance"
    if dst.exists():
        shutil.rmtree(dst)
    for folder, _why in LEGIFRANCE_SELECTION:
        shutil.copytree(src / folder, dst / folder)
    shutil.copy(src / "PROVENANCE.md", dst / "PROVENANCE.md")
    lines = ["# Articles retenus", "", "| dossier | pourquoi | articles |", "|---|---|---|"]
    for folder, why in LEGIFRANCE_SELECTION:
        n = sum(1 for _ in (dst / folder).rglob("*.md"))
        lines.append(f"| `{folder.split('/', 1)[0]}/…/{folder.rsplit('/', 1)[1]}` | {why} | {n} |")
    (dst / "SELECTION.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"corpus written to {ROOT / 'corpus'}")


if __name__ == "__main__":
    main()
