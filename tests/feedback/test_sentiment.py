"""The sentiment analyser on named cases in four languages, and on the labelled set."""

from __future__ import annotations

import pytest

from bench import sentiment as sentiment_bench
from feedback.sentiment import detect_language, sentiment_label, sentiment_score, vader_score


def label(text: str, language: str | None = None) -> str:
    return sentiment_label(sentiment_score(text, language))


def test_complaints_vader_read_as_neutral_or_positive_read_negative():
    # The example scores −0.53 with the VADER installed here (not +0.77); these are
    # complaints it does misread: nothing in its lexicon, or "promised" and "like" read as praise.
    for text in (
        "Nobody called me back, even though they promised.",
        "Hidden fees everywhere, feels like a rip-off.",
        "Still waiting for my refund after three weeks.",
    ):
        assert vader_score(text) >= 0, text  # what stories were scored with before
        assert sentiment_label(sentiment_score(text)) == "negative", text
    assert sentiment_score("Locked out of my account again… Infuriating.") < vader_score(
        "Locked out of my account again… Infuriating."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an expected event that did not happen
        ("My parcel never came.", "negative"),
        ("Mein Paket kam nie an.", "negative"),
        ("Mon colis n'est jamais arrivé.", "negative"),
        ("Mi paquete nunca llegó.", "negative"),
        ("Nobody called me back.", "negative"),
        ("Personne ne m'a rappelé.", "negative"),
        # still waiting
        ("Still waiting for my refund.", "negative"),
        ("Ich warte immer noch auf meine Erstattung.", "negative"),
        ("J'attends toujours mon remboursement.", "negative"),
        ("Sigo esperando mi reembolso.", "negative"),
        # locked out
        ("Locked out of my account since Monday.", "negative"),
        ("Schon wieder aus meinem Konto ausgesperrt.", "negative"),
        # negation turns a word round
        ("Not happy at all with the service.", "negative"),
        ("Ich bin überhaupt nicht zufrieden.", "negative"),
        ("Pas du tout satisfait.", "negative"),
        ("No problem at all, thanks.", "positive"),
        ("Ich musste überhaupt nicht warten.", "positive"),
        ("Je n'ai pas attendu du tout.", "positive"),
        ("No tuve que esperar nada.", "positive"),
        ("Never had a problem with my deliveries.", "positive"),
        # Spanish and French negative concord is one negation, not two
        ("Me pagaron sin ningún problema.", "positive"),
        # mixed feelings: the clause after "but" weighs more
        ("Nice staff, but the problem is still not fixed.", "negative"),
        ("Took a while to get through, but the agent was fantastic.", "positive"),
        ("Nettes Personal, aber das Problem ist immer noch nicht behoben.", "negative"),
        ("Un peu plus cher, mais le service en vaut la peine.", "positive"),
        ("El personal es amable, pero el problema sigue sin resolverse.", "negative"),
        # a why-question is a complaint
        ("Why does a new card take ten days?", "negative"),
        # plain statements stay neutral
        ("Das Paket wurde am Dienstag zugestellt.", "neutral"),
        # words no hand-written lexicon knows, read by their distilled valences
        ("The form wiped everything I typed when I pressed back, absurd.", "negative"),
        ("Ersatzgerät kam schon am nächsten Morgen, Respekt.", "positive"),
        ("Le technicien est arrivé pile à l'heure et a tout nettoyé en partant.", "positive"),
        ("La chambre sentait le tabac et la climatisation faisait un bruit infernal.", "negative"),
    ],
)
def test_named_cases(text, expected):
    assert label(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I changed my address in the app.",
        "Ich habe wegen der Öffnungszeiten angerufen.",
        "J'ai commandé un chargeur la semaine dernière.",
        "Pedí un cargador la semana pasada.",
    ],
)
def test_a_plain_statement_reads_at_most_mildly(text):
    # The distilled valences read words out of context, so a plain statement may lean a little
    # either way ("changed" leans positive); it never comes near the tenant's "very negative
    # story" threshold (−0.6 by default) nor reads as strong praise.
    assert abs(sentiment_score(text)) < 0.45


def test_distilled_valences_never_override_the_rules_words():
    from feedback.sentiment.analyser import _LEXICONS

    rules = {
        "en": ("not", "never", "nobody", "but", "very", "the"),
        "de": ("nicht", "nie", "niemand", "aber", "sehr", "der"),
        "fr": ("pas", "jamais", "personne", "mais", "très", "le"),
        "es": ("no", "nunca", "nadie", "pero", "muy", "el"),
    }
    for language, words in rules.items():
        assert _LEXICONS[language].distilled, language  # the file was read
        for word in words:
            assert word not in _LEXICONS[language].distilled, (language, word)


def test_an_intensifier_strengthens_and_a_softener_weakens():
    assert (
        sentiment_score("very helpful") > sentiment_score("helpful") > sentiment_score("slightly helpful") > 0
    )
    assert sentiment_score("sehr unfreundlich") < sentiment_score("unfreundlich") < 0


def test_the_language_is_detected_or_taken_from_the_caller():
    assert detect_language("Die Lieferung kam wieder zu spät.") == "de"
    assert detect_language("Le colis est arrivé en retard.") == "fr"
    assert detect_language("El paquete llegó tarde otra vez.") == "es"
    assert detect_language("The parcel came late again.") == "en"
    assert detect_language("") == "en"
    # A language tag from a page (de-AT) is read by its language; an unknown one is detected.
    assert sentiment_score("Gut", "de-AT") > 0
    assert sentiment_score("Die Lieferung war eine Katastrophe.", "pt") < 0


def test_scores_stay_within_minus_one_and_one_and_empty_text_is_zero():
    assert sentiment_score("") == 0.0 == sentiment_score("   ")
    loud = " ".join(["terrible awful worst useless"] * 50)
    assert -1 <= sentiment_score(loud) < -0.99
    assert 0.99 < sentiment_score(" ".join(["excellent brilliant"] * 50)) <= 1


def test_the_labelled_set_is_large_balanced_and_split():
    rows = sentiment_bench.labelled()
    assert len(rows) >= 300
    assert set(rows[0]) == {"text", "language", "label", "split", "round"}
    for language in ("en", "de", "fr", "es"):
        mine = [r for r in rows if r["language"] == language]
        positive = sum(r["label"] == "positive" for r in mine)
        negative = sum(r["label"] == "negative" for r in mine)
        assert positive >= 40 and negative >= 40 and abs(positive - negative) <= 2
        assert {r["split"] for r in mine} == {"dev", "holdout"}
    assert len({r["text"] for r in rows}) == len(rows)  # no sentence twice


def test_the_new_analyser_beats_the_old_one_on_every_language_and_split():
    accuracy = sentiment_bench.accuracy(sentiment_bench.labelled())
    for part, old in accuracy["old"].items():
        assert accuracy["new"][part]["accuracy"] > old["accuracy"], part
    # Round 1's held-out third: never tuned on, but written by the same hand as the dev part
    # (bench/README.md gives the fairer figures of the rounds written after the lexicons).
    assert accuracy["new"]["holdout round 1"]["accuracy"] >= 0.90
