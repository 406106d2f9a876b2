"""Questions asked in English: a small bilingual lexicon of the domain turns their content words into French
search terms (the corpus is French; the packaged embedding model is English-only). Documented rule, no model."""
from __future__ import annotations

import re

ENGLISH_MARKERS = {"the", "what", "who", "which", "how", "does", "is", "are", "was", "were", "many", "when",
                   "where", "why", "of", "and", "according", "with", "should", "can", "must", "do", "did"}

LEXICON = {
    "agency": "agence", "agencies": "agences", "regional": "régional régionale", "region": "région",
    "regions": "régions", "health": "santé", "insurance": "assurance maladie", "sickness": "maladie",
    "fund": "fonds caisse", "funds": "fonds", "finance": "finance financement", "finances": "finance",
    "financing": "financement", "funding": "financement", "chair": "préside président", "chairs": "préside président",
    "chaired": "présidée", "president": "président", "director": "directeur", "general": "général",
    "committee": "comité commission", "commission": "commission", "coordination": "coordination",
    "cooperation": "coopération", "partnership": "partenariat", "agreement": "convention accord",
    "contract": "contrat", "contracts": "contrats", "signed": "signé signés signature", "sign": "signer",
    "signature": "signature", "first": "premier première", "new": "nouveau nouvelle", "plan": "plan",
    "multi-year": "pluriannuel", "multiyear": "pluriannuel", "risk": "risque", "management": "gestion",
    "efficiency": "efficience", "quality": "qualité", "care": "soins", "hospital": "hôpital établissement",
    "hospitals": "établissements", "establishment": "établissement", "establishments": "établissements",
    "sanction": "sanction", "penalty": "sanction pénalité", "refuses": "refus", "refusal": "refus",
    "duration": "durée", "long": "durée", "years": "ans", "year": "an année", "experiments": "expérimentations",
    "experiment": "expérimentation", "experimentation": "expérimentation", "innovation": "innovation",
    "article": "article", "fraud": "fraude", "fighting": "lutte contre", "day": "journée", "held": "organisée",
    "exchange": "échanges", "exchanges": "échanges", "doctors": "médecins", "doctor": "médecin",
    "physician": "médecin", "physicians": "médecins", "gp": "médecin généraliste", "gps": "médecins généralistes",
    "nurse": "infirmier", "nurses": "infirmiers", "medical": "médical médicaux", "assistants": "assistants",
    "assistant": "assistant", "team": "équipe", "teams": "équipes", "primary": "primaires premier recours",
    "community": "communauté", "communities": "communautés", "professional": "professionnelle professionnels",
    "territorial": "territoriale territoriales", "project": "projet", "projects": "projets",
    "telemedicine": "télémédecine", "teleconsultation": "téléconsultation", "prescription": "prescription",
    "shared": "partagé", "record": "dossier", "data": "données", "sharing": "partage", "governance": "gouvernance",
    "evaluation": "évaluation", "evaluated": "évalué évaluation", "monitoring": "suivi", "follow-up": "suivi",
    "report": "rapport", "annual": "annuel", "review": "bilan", "decision": "décision", "decides": "décide",
    "targeting": "ciblage", "target": "cible ciblage", "leads": "pilote", "steers": "pilote", "pilot": "pilote",
    "national": "national nationale", "objective": "objectif", "spending": "dépenses", "expenditure": "dépenses",
    "budget": "budget", "relevance": "pertinence", "appropriateness": "pertinence", "payment": "paiement",
    "fee": "tarif", "price": "prix", "rate": "taux", "drugs": "médicaments", "medicines": "médicaments",
    "patients": "patients", "patient": "patient", "access": "accès", "opinion": "avis", "approval": "avis",
    "approves": "approuve", "adopted": "arrêté adopté", "adopts": "arrête", "mission": "mission",
    "missions": "missions", "role": "rôle", "tasks": "missions", "members": "membres", "member": "membre",
    "representative": "représentant", "representatives": "représentants", "unions": "unions", "union": "union",
    "local": "local locale", "fund's": "caisse", "prevention": "prévention", "vaccination": "vaccination",
    "screening": "dépistage", "emergency": "urgences", "emergencies": "urgences", "social": "social sociale",
    "security": "sécurité", "code": "code", "public": "publique", "law": "loi", "decree": "décret",
    "order": "arrêté", "inspection": "inspection", "control": "contrôle", "coordinated": "coordonné",
    "practice": "exercice pratique", "multidisciplinary": "pluriprofessionnelle", "centre": "centre",
    "centres": "centres", "center": "centre", "centers": "centres", "house": "maison", "houses": "maisons",
    "intervention": "intervention", "deployment": "déploiement", "deploy": "déployer", "support": "soutien accompagnement",
    "training": "formation", "tool": "outil", "tools": "outils", "diagnosis": "diagnostic",
    "waiting": "carence", "sick": "maladie", "leave": "arrêt", "pay": "rémunération", "salary": "salaire",
    "info": "information", "increase": "augmentation revalorisation", "rise": "augmentation", "how": "", "where": "", "when": "date",
}


def is_english(question: str) -> bool:
    words = re.findall(r"[a-z']+", question.lower())
    return sum(w in ENGLISH_MARKERS for w in words) >= 2 and not re.search(r"[éèàùâêîôûç]", question.lower())


def to_french_terms(question: str) -> str:
    """French search terms for an English question ('' when the question is not English)."""
    if not is_english(question):
        return ""
    out = []
    for word in re.findall(r"[A-Za-z][A-Za-z'-]*", question):
        fr = LEXICON.get(word.lower())
        if fr:
            out.append(fr)
    return " ".join(out)
