"""Per-language lexicons of customer-service feedback: words and phrases with a valence.

Valences run from about −3 (a furious complaint) to +3 (delight); 0 silences a word that a
general lexicon would misread here ("like" in "feels like a rip-off"). An entry ending in
``*`` matches every word it starts; an entry with spaces is a phrase and wins over its
words. Everything is lower case. ``expected_events`` are neutral verbs whose *absence* is a
complaint ("never came", "nobody answers").

Written for what customers tell a company about service (deliveries, refunds, accounts and
log-ins, cards and payments, calls and chats, branches and shops, technicians); extend a
language's lists rather than adding rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPLAINT_QUESTION = -1.5


@dataclass(frozen=True)
class LanguageLexicon:
    valences: dict[str, float]
    negators: tuple[str, ...]
    expected_events: tuple[str, ...] = ()
    intensifiers: tuple[str, ...] = ()
    softeners: tuple[str, ...] = ()
    contrasts: tuple[str, ...] = ()
    complaint_questions: tuple[str, ...] = field(default=())
    # Whether a negator may follow the verb it negates ("kam nie an"), as in German.
    negator_follows: bool = False


# Packed several entries a line (the formatter would give each its own).
# fmt: off
ENGLISH = LanguageLexicon(
    valences={
        # praise
        "brilliant": 2.5, "excellent": 2.5, "fantastic": 2.5, "great": 2, "superb": 2.5, "amazing": 2.5,
        "awesome": 2.5, "impressive": 2, "impressed": 2, "perfect": 2.5, "wonderful": 2.5,
        "outstanding": 2.5, "helpful": 2, "friendly": 1.5, "polite": 1.5, "courteous": 1.5, "patient": 1.5,
        "competent": 1.5, "professional": 1.5, "efficient": 1.5, "quick": 1.2, "quickly": 1.2, "fast": 1.2,
        "prompt": 1.2, "promptly": 1.2, "immediately": 1.2, "instantly": 1.2, "smooth": 1.5, "smoothly": 1.5,
        "seamless": 2, "effortless": 2, "painless": 1.5, "easy": 1.5, "simple": 1, "simpler": 1.2,
        "clear": 1, "transparent": 1.2, "reliable": 1.5, "happy": 2, "pleased": 2, "delighted": 2.5,
        "satisfied": 1.8, "glad": 1.5, "love": 2.5, "loved": 2.5, "thanks": 1.5, "thank": 1.5, "grateful": 2,
        "recommend": 2, "recommended": 2, "resolved": 1.5, "solved": 1.5, "sorted": 1.5, "fixed": 1.2,
        "kind": 1.2, "lovely": 2, "nice": 1.2, "good": 1.5, "best": 2, "worth": 1.5, "on time": 1.5,
        "first time": 1.2, "first call": 1.2, "same day": 1.2, "next day": 1, "above and beyond": 2.5,
        "no hassle": 2, "no surprises": 1.5, "no questions asked": 1.5, "without any questions": 1.5,
        "kept their promise": 2, "as promised": 1.5, "well packed": 1.5, "on the spot": 1.2, "swapped": 1,
        "replaced": 1, "exchanged": 1, "worth every penny": 2.5, "couldn't ask for more": 2.5,
        "could not ask for more": 2.5, "well done": 2, "spot on": 2, "went smoothly": 2, "no problem": 1.5,
        "no problems": 1.5, "no issue": 1.5, "no issues": 1.5, "no complaints": 1.5,
        "nothing to complain about": 2, "money back": 1, "got my money back": 1.5, "sorted it out": 1.5,
        "knew exactly": 1.2, "finally": 0.5, "appreciated": 1.5, "appreciate": 1.5, "corrected": 1,
        "accurate": 1, "flawless": 2.5, "flawlessly": 2.5, "perfectly": 2, "made my day": 2.5, "adorable": 2,
        "hassle-free": 2, "straightforward": 1.5, "convenient": 1.5, "responsive": 1.5, "attentive": 1.5,
        "knowledgeable": 1.5, "reassuring": 1.5, "caring": 1.5, "fair": 1, "right away": 1,
        "in no time": 1.5, "without a fuss": 1.5, "no fuss": 1.5, "took the time": 1.5,
        "kept me informed": 1.5, "went the extra mile": 2.5, "spotless": 1.5, "generous": 1.5,
        "goodwill": 1.5, "pleasant": 1.5, "works fine": 1.5, "works perfectly": 2,
        "fresh": 1, "cheaper": 1, "better price": 1.5, "good value": 2, "value for money": 2, "bargain": 1.5,
        "refunded": 1, "compensated": 1.5, "compensation": 1, "upgraded": 1.5, "free upgrade": 2,
        "instant": 1.2, "tidy": 1, "comfortable": 1.5, "clean": 1, "well organised": 1.5, "organised": 1,
        "punctual": 1.5, "accommodating": 1.5, "flexible": 1.2, "went out of their way": 2.5,
        "made it easy": 1.5, "reassured": 1.5, "listened": 1.5, "honest": 1.5, "trustworthy": 1.5,
        "no charge": 1.5, "free of charge": 1.5, "waived": 1.5, "proactive": 1.5, "proactively": 1.5,
        "kept me updated": 1.5, "restored": 1, "up and running": 1.5, "as good as new": 2, "gentle": 1.2,
        "without me even asking": 1.5, "without asking": 1, "on their own initiative": 1.5,
        # complaints
        "terrible": -2.5, "awful": -2.5, "horrible": -2.5, "dreadful": -2.5, "worst": -3, "useless": -2.5,
        "rude": -2.5, "unhelpful": -2, "unfriendly": -2, "incompetent": -2.5, "disappointed": -2,
        "disappointing": -2, "frustrating": -2, "frustrated": -2, "infuriating": -3, "furious": -3,
        "angry": -2.5, "annoyed": -2, "annoying": -2, "unacceptable": -2.5, "ridiculous": -2, "disgrace": -3,
        "disgraceful": -3, "shambles": -2.5, "disaster": -2.5, "nightmare": -2.5, "scam": -3, "rip-off": -3,
        "overpriced": -2, "expensive": -1, "confusing": -1.5, "slow": -1.2, "late": -1.5, "delayed": -1.5,
        "lost": -1.5, "damaged": -2, "broken": -2, "faulty": -1.5, "crashing": -2, "crashes": -2,
        "crashed": -2, "error": -1.5, "errors": -1.5, "fails": -1.5, "failed": -1.5, "blocked": -1.5,
        "stranded": -2, "stuck": -1.5, "expired": -1.2, "cancelled": -1.2, "canceled": -1.2,
        "charged twice": -2.5, "double charged": -2.5, "hidden fees": -2.5, "problem": -1, "problems": -1,
        "issue": -0.8, "complaint": -1, "complain": -1.5, "wait": -1, "waiting": -1.2, "waited": -1.2,
        "queue": -0.8, "on hold": -1.5, "cut off": -1.5, "hung up": -2, "locked out": -2.5, "lock out": -2.5,
        "again": -0.5, "chasing": -1.5, "blamed": -2, "blame": -1.5, "waste of time": -3, "waste": -2,
        "round in circles": -2, "still waiting": -2, "still no": -2, "still not": -1.5, "still nothing": -2,
        "still chasing": -2, "closing my account": -2, "third time": -1.5, "nothing like": -1.5,
        "no answer": -2, "no reply": -2, "no response": -2, "no one": -1, "nobody": -1, "can't help": -1.5,
        "cannot help": -1.5, "hidden": -1, "wrong": -1.5, "incorrect": -1.5, "mistake": -1.5,
        "mistakes": -1.5, "mess": -2, "messy": -1.5, "chaos": -2, "chaotic": -2, "unreadable": -1.5,
        "illegible": -1.5, "impossible": -1.5, "no update": -1.5, "no updates": -1.5, "no news": -1.5,
        "no information": -1.5, "ignored": -2, "ignoring": -2, "misleading": -2, "lied": -2.5,
        "overcharged": -2.5, "unanswered": -2, "pointless": -2, "outdated": -1, "clunky": -1.5,
        "glitchy": -1.5, "buggy": -1.5, "outage": -2, "every time": -0.5, "again and again": -1.5,
        "tedious": -1.5, "cumbersome": -1.5, "hassle": -1.5, "fuss": -1,
        "missing": -1.5, "pending": -1, "no record": -2, "no trace": -2, "squashed": -2, "crushed": -2,
        "dented": -1.5, "stale": -1.5, "rotten": -2.5, "spoiled": -2, "leaking": -2, "dirty": -2,
        "filthy": -2.5, "smelly": -2, "noisy": -1.5, "cramped": -1.5, "uncomfortable": -1.5,
        "overbooked": -2, "rescheduled": -1, "postponed": -1, "delay": -1.5, "delays": -1.5,
        "cancellation": -1, "no warning": -1.5, "without warning": -1.5, "charged me": -1, "penalty": -1.5,
        "extra charge": -1.5, "surcharge": -1.5, "overcharge": -2, "refused": -1.5, "denied": -1.5,
        "rejected": -1.5, "declined": -1, "unreachable": -2, "disconnected": -1.5, "keeps dropping": -2,
        "fourth time": -1.5, "fifth time": -1.5, "times now": -1, "unresolved": -2,
        # words a general lexicon misreads here
        "like": 0, "promise": 0, "promised": 0, "no": 0, "please": 0, "want": 0, "support": 0, "free": 0,
        "care": 0, "sure": 0, "ok": 0.5, "okay": 0.5, "fine": 1, "cheap": 0, "worried": 0, "alert": 0,
        "fraud": 0, "surprise": 0, "surprises": 0, "pretty": 0, "yes": 0, "huge": 0, "honestly": 0, "lol": 0,
    },
    negators=(
        "not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "without", "cannot", "cant",
        "dont", "didnt", "doesnt", "isnt", "wasnt", "wont", "hardly",
    ),
    expected_events=(
        "came", "come", "comes", "arrive", "arrived", "arrives", "show", "showed", "turned", "turn",
        "called", "call", "answer", "answers", "answered", "reply", "replied", "respond", "responded",
        "work", "works", "worked", "working", "received", "receive", "get", "got", "tell", "told", "find",
        "reach", "warned", "informed", "delivered", "refunded", "fixed", "log", "login", "pick", "picks", "picked",
    ),
    intensifiers=(
        "very", "really", "so", "extremely", "incredibly", "totally", "absolutely", "truly", "completely",
        "super", "utterly", "highly", "most", "too",
    ),
    softeners=(
        "slightly", "somewhat", "fairly", "bit", "little", "quite",
    ),
    contrasts=(
        "but", "however", "though", "yet",
    ),
    complaint_questions=(
        "why ", "how come ", "how long ",
    ),
)

GERMAN = LanguageLexicon(
    valences={
        # Lob
        "super": 2, "toll": 2, "klasse": 2, "prima": 2, "spitze": 2.5, "großartig*": 2.5,
        "hervorragend*": 2.5, "ausgezeichnet*": 2.5, "exzellent*": 2.5, "perfekt*": 2.5, "wunderbar*": 2.5,
        "fantastisch*": 2.5, "top": 2, "genial*": 2.5, "freundlich*": 1.5, "nett*": 1.2, "hilfsbereit*": 2,
        "höflich*": 1.5, "kompetent*": 1.5, "professionell*": 1.5, "zuverlässig*": 1.5, "schnell*": 1.2,
        "zügig*": 1.2, "sofort": 1, "umgehend*": 1.2, "pünktlich*": 1.5, "einfach*": 1.2,
        "unkompliziert*": 1.8, "reibungslos*": 2, "problemlos*": 2, "übersichtlich*": 1.2,
        "transparent*": 1.2, "stabil*": 1, "zufrieden*": 1.8, "begeistert*": 2.5, "glücklich*": 2,
        "froh": 1.5, "danke": 1.5, "dank": 1.2, "dankbar*": 2, "empfehl*": 2, "weiterempfehl*": 2,
        "gelöst": 1.5, "geklärt": 1.5, "behoben": 1.2, "erledigt": 1, "gut": 1.5, "gute*": 1.5, "guten": 1.5,
        "besten": 1.5, "bestens": 2, "wert": 1.5, "gerne": 1.2, "gern": 1.2, "geschützt": 1, "sauber*": 1,
        "bequem*": 1.2, "praktisch*": 1.2, "hilfreich*": 2, "weitergeholfen": 2, "geholfen": 1.5,
        "aufgehoben": 1.5, "beim ersten anruf": 1.5, "wie versprochen": 1.5, "gut verpackt": 1.5,
        "jeden cent wert": 2.5, "nichts zu meckern": 2, "keine überraschungen": 1.5, "alles bestens": 2.5,
        "gerne wieder": 2, "endlich": 0.5, "am nächsten tag": 1, "am selben tag": 1.2,
        "ohne rückfragen": 1.5, "mehr kann man nicht verlangen": 2.5, "umgetauscht": 1, "einwandfrei*": 2,
        "tadellos*": 2, "korrigiert": 1, "ohne umstände": 1.5, "zeit genommen": 1.5, "genau erklärt": 1.5,
        "gerettet": 1.5, "angenehm*": 1.5, "kulant*": 2, "kulanz": 1.5, "vorbildlich*": 2.5,
        "zuvorkommend*": 2, "schön*": 1.5, "in ordnung": 1, "gelungen*": 1.5, "empfehlenswert*": 2,
        "bemüht": 1, "entgegenkommend*": 2, "unkomplizierte*": 1.8, "reaktionsschnell*": 1.5, "ersetzt": 1,
        "frisch*": 1, "günstiger*": 1, "blitzsauber": 2, "lieb": 1.5, "gemütlich*": 1.5, "entschädigt": 1.5,
        "gutschrift": 1, "kostenlos*": 1, "von sich aus": 1.5, "aufmerksam*": 1.5, "flexibel*": 1.2,
        "ehrlich*": 1.5, "wie neu": 2, "verständlich*": 1, "gekümmert": 1.5, "geduldig*": 1.5, "im nu": 1.5,
        "preiswert*": 1.5, "großzügig*": 1.5, "sorgfältig*": 1.5,
        "ausgetauscht": 1, "nicht mehr": -1, "erstattet": 1, "geld zurück": 1, "kein problem": 1.5,
        "keine probleme": 1.5,
        # Beschwerden
        "schlecht*": -2, "schlimm*": -2, "furchtbar*": -2.5, "schrecklich*": -2.5, "katastroph*": -2.5,
        "unerträglich*": -3, "unverschämt*": -3, "frechheit": -3, "zumutung": -2.5, "ärger*": -2,
        "verärgert*": -2.5, "enttäusch*": -2, "frustrier*": -2, "nervig*": -2, "unfreundlich*": -2.5,
        "inkompetent*": -2.5, "nutzlos*": -2.5, "sinnlos*": -2, "unbrauchbar*": -2.5,
        "unübersichtlich*": -1.5, "kompliziert*": -1.2, "langsam*": -1.2, "verspät*": -1.5, "zu spät": -1.5,
        "verloren": -1.5, "beschädigt*": -2, "kaputt*": -2, "defekt*": -1.5, "abgestürzt": -2, "stürzt": -2,
        "absturz": -2, "fehler*": -1.5, "fehlermeldung*": -2, "gesperrt": -1.5, "ausgesperrt": -2.5,
        "abgelaufen": -1.2, "storniert": -1.2, "doppelt abgebucht": -2.5, "versteckte*": -1.5,
        "überteuert*": -2, "teuer*": -1, "problem": -1, "probleme": -1, "beschwerde*": -1, "warten": -1,
        "wartezeit*": -1.2, "warteschleife*": -1.5, "warte": -1, "schlange": -0.8, "aufgelegt": -2,
        "schuld": -1.5, "zeitverschwendung": -3, "verschwendung": -2, "im kreis": -2, "schon wieder": -1,
        "wieder": -0.5, "immer noch nicht": -1.5, "immer noch kein*": -2, "warte immer noch": -2,
        "bis heute nichts": -2.5, "immer noch keine antwort": -2.5, "keine antwort": -2, "hinterher": -1.5,
        "kündige*": -2, "kündigung": -1.5, "niemand": -1, "keiner": -1, "niemanden": -1, "ohne geld": -1.5,
        "zum dritten mal": -1.5, "ganz anders": -1, "ständig": -0.5, "zu teuer": -2, "selbst bezahlen": -1.5,
        "wut": -2.5, "falsch*": -1.5, "fehlerhaft*": -1.5, "durcheinander": -2, "chaos": -2,
        "chaotisch*": -2, "unlesbar*": -1.5, "ohne rückmeldung": -1.5, "keine rückmeldung": -2,
        "ignoriert": -2, "ärgerlich*": -2, "lästig*": -1.5, "umständlich*": -1.5, "mühsam*": -1.5,
        "unzumutbar*": -2.5, "jedes mal": -0.5, "nervt": -2, "genervt": -2, "gekündigt": -1,
        "fehlte": -1.5, "fehlt": -1.5, "fehlten": -1.5, "fehlend*": -1.5, "zerdrückt*": -2, "zerbrochen*": -2,
        "verdorben*": -2.5, "schmutzig*": -2, "dreckig*": -2.5, "unbequem*": -1.5, "überbucht": -2,
        "verschoben": -1, "verlegt": -1, "verzögert*": -1.5, "verzögerung*": -1.5, "in der schwebe": -1.5,
        "ausstehend*": -1, "ohne vorwarnung": -1.5, "strafgebühr*": -2, "aufpreis": -1, "abgelehnt": -1.5,
        "verweigert": -2, "unerreichbar*": -2, "zum vierten mal": -1.5, "zum fünften mal": -1.5,
        "keine spur": -2, "ungelöst*": -2, "vertröstet": -2,
        "irreführend*": -2, "chaotische*": -2, "ausfall": -1.5, "wütend": -2.5, "sauer": -2,
        "mangelhaft*": -2, "unmöglich*": -2,
    },
    negators=(
        "nicht", "nie", "niemals", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nichts",
        "niemand", "niemanden", "ohne", "weder",
    ),
    expected_events=(
        "kam", "kommt", "komme", "ankam", "angekommen", "erschienen", "gekommen", "geliefert",
        "zurückgerufen", "gemeldet", "geantwortet", "antwortet", "funktioniert*", "erhalten", "bekommen",
        "erreiche*", "finde", "gewarnt", "informiert", "erreicht", "gefunden", "einloggen", "anmelden", "sagen", "gesagt", "bescheid",
        "telefon", "abgeholt", "zugestellt", "erstattet", "behoben",
    ),
    intensifiers=(
        "sehr", "wirklich", "total", "absolut", "extrem", "so", "äußerst", "richtig", "echt", "überhaupt",
        "völlig", "komplett", "unglaublich", "super", "besonders", "rundum",
    ),
    softeners=(
        "etwas", "bisschen", "leicht", "ziemlich", "eher",
    ),
    contrasts=(
        "aber", "doch", "jedoch", "allerdings", "trotzdem", "dennoch",
    ),
    negator_follows=True,
    complaint_questions=(
        "warum ", "wieso ", "weshalb ", "wie lange ",
    ),
)

FRENCH = LanguageLexicon(
    valences={
        # éloges
        "super": 2, "génial*": 2.5, "formidable*": 2.5, "excellent*": 2.5, "parfait*": 2.5, "top": 2,
        "au top": 2.5, "magnifique*": 2.5, "impeccable*": 2.5, "merveille*": 2.5, "bravo": 2.5,
        "aimable*": 1.5, "sympa*": 1.5, "poli": 1.5, "polie": 1.5, "courtois*": 1.5, "souriant*": 1.5,
        "chaleureu*": 1.8, "serviable*": 2, "compétent*": 1.5, "professionnel*": 1.5, "efficace*": 1.5,
        "fiable*": 1.5, "rapide*": 1.2, "rapidement": 1.2, "immédiatement": 1.2, "tout de suite": 1,
        "simple*": 1.2, "facile*": 1.5, "fluide*": 1.5, "clair*": 1, "claire*": 1, "stable*": 1,
        "pratique*": 1.2, "propre*": 1, "satisfait*": 1.8, "ravi*": 2.5, "content*": 2, "heureu*": 2,
        "merci": 1.5, "recommande*": 2, "résolu*": 1.5, "réglé*": 1.5, "bien": 1.2, "mieux": 1, "aidé*": 1.5,
        "protégé*": 1, "accompagné*": 1.5, "vaut la peine": 2, "valait": 1, "bon": 1.2, "bonne": 1.2,
        "comme promis": 1.5, "bien emballé": 1.5, "du premier coup": 1.5, "dès le premier": 1.2,
        "sans difficulté": 1.5, "sans hésiter": 1.5, "sans aucune question": 1.5, "sans problème": 1.5,
        "aucun problème": 1.5, "rien à redire": 2, "pas de mauvaise surprise": 1.5, "chaque centime": 2,
        "ne peut pas demander mieux": 2.5, "demander mieux": 2, "le jour même": 1.2, "dès le lendemain": 1.2,
        "je reviendrai": 2, "enfin": 0.5, "à l'heure": 1.5, "l heure": 0, "échangé*": 1, "remboursé": 0.8,
        "récupéré": 0.8, "sur place": 1, "indemnisé*": 1, "sans complication": 1.5, "complication*": -1,
        "corrigé*": 1, "adorable*": 2, "illuminé*": 1.5, "agréable*": 1.5, "irréprochable*": 2.5,
        "réactif*": 1.5, "réactive*": 1.5, "pris le temps": 1.5, "attentionné*": 2, "arrangeant*": 1.5,
        "à l'écoute": 1.5, "l écoute": 1.5, "à l écoute": 1.5, "commercial": 0, "geste commercial": 1.5,
        "pratique": 1.2,
        "fraîche*": 1, "moins cher": 1.5, "instantanément": 1.2, "aux petits soins": 2, "gentil*": 1.5,
        "patient*": 1.5, "souple*": 1.2, "honnête*": 1.5, "comme neuf": 2, "compréhensible*": 1,
        "dédommagé*": 1.5, "gratuit*": 1, "proactif*": 1.5, "sans que je le demande": 1.5,
        "de lui-même": 1.5, "soigneu*": 1.5, "généreu*": 1.5,
        # plaintes
        "nul": -2.5, "nulle": -2.5, "mauvais*": -2, "horrible*": -2.5, "affreu*": -2.5, "catastroph*": -2.5,
        "pire": -3, "inadmissible*": -3, "inacceptable*": -2.5, "scandaleu*": -3, "honteu*": -3,
        "exaspér*": -3, "énerv*": -2, "agaç*": -2, "frustr*": -2, "déçu*": -2, "décevant*": -2,
        "mécontent*": -2.5, "désagréable*": -2.5, "impoli*": -2.5, "incompétent*": -2.5, "inutile*": -2.5,
        "confus*": -1.5, "compliqué*": -1.2, "lent*": -1.2, "retard*": -1.5, "perdu*": -1.5, "abîmé*": -2,
        "cassé*": -2, "endommagé*": -2, "défectueu*": -1.5, "plante": -2, "planté": -2, "bug*": -1.5,
        "erreur*": -1.5, "bloqué*": -1.5, "coincé*": -2, "expiré*": -1.2, "annulé*": -1.2, "cher": -1,
        "chère": -1, "trop cher": -2, "frais cachés": -2.5, "débité deux fois": -2.5, "problème": -1,
        "problèmes": -1, "réclamation": -0.8, "attente": -1, "attends": -1, "attendre": -1, "attendu": -1,
        "file d'attente": -1, "file d attente": -1, "file": -0.5, "interminable*": -2, "raccroché*": -2,
        "accuse*": -1.5, "perte de temps": -3, "tourne en rond": -2, "encore": -0.5, "toujours pas": -1.5,
        "toujours rien": -2.5, "toujours aucun*": -2.5, "attends toujours": -2, "je cours encore": -1.5,
        "résilie*": -2, "impossible": -1.5, "personne": -1, "sans explication": -1.5, "sans arrêt": -1,
        "sans cesse": -1, "la troisième fois": -1.5, "à mes frais": -1.5, "peu aimable": -2,
        "pas du tout": -0.5, "colère": -2.5, "furieu*": -3, "arnaque*": -3, "faux": -1.5, "fausse*": -1.5,
        "erroné*": -1.5, "illisible*": -1.5, "sans nouvelles": -1.5, "aucune nouvelle": -1.5, "ignoré*": -2,
        "pénible*": -2, "galère": -2, "bazar": -2, "n'importe quoi": -2, "importe quoi": -2,
        "à chaque fois": -0.5, "chaque fois": -0.5, "résili*": -2, "lourd*": -1, "chaos": -2, "trompeu*": -2,
        "manque*": -1.5, "manquant*": -1.5, "écrasé*": -2, "cabossé*": -1.5, "périmé*": -2, "sale": -2,
        "en suspens": -1.5, "suspendu*": -1, "reporté*": -1, "décalé*": -1, "retardé*": -1.5,
        "annulation": -1, "sans prévenir": -1.5, "aucune trace": -2, "refusé*": -1.5, "injoignable*": -2,
        "quatrième fois": -1.5, "cinquième fois": -1.5, "pénalité*": -1.5, "surfactur*": -2.5,
        "non résolu*": -2,
        # mots neutres ici
        "promis": 0, "alerte": 0, "fraude": 0, "surprise": 0,
    },
    negators=(
        "ne", "n", "pas", "jamais", "rien", "aucun", "aucune", "personne", "sans", "ni", "impossible",
    ),
    expected_events=(
        "arrivé", "arrivée", "arrive", "arrivent", "venu", "venue", "vient", "rappelé", "rappelée", "répond",
        "répondu", "réponse", "fonctionne", "marche", "reçu", "reçue", "trouvé", "livré", "livrée",
        "prévenu", "prévenue", "dire", "dit", "trouve", "parlé", "averti", "joindre", "connecter", "accéder", "remboursé",
    ),
    intensifiers=(
        "très", "vraiment", "tellement", "totalement", "complètement", "absolument", "extrêmement", "super",
        "si", "hyper", "trop", "entièrement", "tout",
    ),
    softeners=(
        "peu", "assez", "plutôt", "légèrement",
    ),
    contrasts=(
        "mais", "cependant", "pourtant", "toutefois", "néanmoins",
    ),
    complaint_questions=(
        "pourquoi ", "comment se fait-il ",
    ),
)

SPANISH = LanguageLexicon(
    valences={
        # elogios
        "genial*": 2.5, "estupend*": 2.5, "excelente*": 2.5, "perfect*": 2.5, "fantástic*": 2.5,
        "maravill*": 2.5, "increíble*": 2, "impecable*": 2.5, "de diez": 2.5, "amable*": 1.5,
        "simpátic*": 1.5, "educad*": 1.5, "atent*": 1.5, "servicial*": 2, "competente*": 1.5,
        "profesional*": 1.5, "eficaz*": 1.5, "eficiente*": 1.5, "fiable*": 1.5, "rápid*": 1.2,
        "enseguida": 1.2, "al momento": 1.2, "inmediat*": 1.2, "puntual*": 1.5, "fácil*": 1.5,
        "facilísim*": 2, "sencill*": 1.2, "clar*": 1, "estable*": 1, "práctic*": 1.2, "limpi*": 1,
        "satisfech*": 1.8, "encantad*": 2.5, "content*": 2, "feliz": 2, "gracias": 1.5, "recomiendo": 2,
        "recomendar*": 2, "recomendaré": 2, "resuelto": 1.5, "resolvi*": 1.5, "solucion*": 1.5, "bien": 1.2,
        "bueno": 1.2, "buena": 1.2, "mejor": 1, "ayud*": 1.5, "protegi*": 1, "atendid*": 1.2,
        "atendieron": 1.2, "merece la pena": 2, "vale la pena": 2, "valió": 1, "como prometieron": 1.5,
        "bien embalado": 1.5, "a la primera": 1.5, "primera llamada": 1.2, "sin complicaciones": 1.5,
        "sin dudarlo": 1.5, "sin hacer preguntas": 1.5, "sin problemas": 1.5, "ningún problema": 1.5,
        "nada que objetar": 2, "sin sorpresas": 1.5, "cada céntimo": 2, "no se puede pedir más": 2.5,
        "el mismo día": 1.2, "al día siguiente": 1, "volveré": 2, "por fin": 0.5, "de verdad": 0.5,
        "cambiaron": 1, "en la misma tienda": 1.2, "reemplazaron": 1, "se agradece": 1.5, "agradec*": 1.5,
        "corrigieron": 1, "corregid*": 1, "de maravilla": 2.5, "encantador*": 2, "alegraron": 1.5,
        "alegr*": 1.5, "se tomó su tiempo": 1.5, "cómod*": 1.5, "agradable*": 1.5,
        "sin ningún problema": 1.5, "sin problema": 1.5, "impecabl*": 2.5, "devolvieron el dinero": 1,
        "fresc*": 1, "más barat*": 1.5, "al instante": 1.2, "un encanto": 2, "encanto": 2, "paciente*": 1.5,
        "flexible*": 1.2, "honest*": 1.5, "como nuevo": 2, "compens*": 1.5, "gratis": 1, "gratuit*": 1,
        "por iniciativa propia": 1.5, "sin que yo se lo pidiera": 1.5, "cuidados*": 1.5, "generos*": 1.5,
        "reembolsaron": 0.8,
        # quejas
        "mal": -1.5, "mala": -2, "malo": -2, "pésim*": -3, "horrible*": -2.5, "terrible*": -2.5,
        "fatal": -2.5, "desastr*": -2.5, "peor": -3, "indignante*": -3, "inaceptable*": -2.5,
        "vergüenza": -3, "abuso": -2.5, "timo": -3, "estafa": -3, "decepcion*": -2, "frustra*": -2,
        "molest*": -2, "enfadad*": -2.5, "harto": -2.5, "harta": -2.5, "grosero*": -2.5, "grosera*": -2.5,
        "antipátic*": -2.5, "maleducad*": -2.5, "incompetente*": -2.5, "inútil*": -2.5, "confus*": -1.5,
        "complicad*": -1.2, "lent*": -1.2, "tarde": -1.5, "retras*": -1.5, "perdi*": -1.5, "dañad*": -2,
        "roto": -2, "rota": -2, "defectuos*": -1.5, "se cierra sola": -2, "error": -1.5, "errores": -1.5,
        "bloque*": -1.5, "tirado": -2, "caducad*": -1.2, "cancelaron": -1.2, "cancelad*": -1.2, "caro": -1,
        "cara": -0.5, "caros": -1, "comisiones ocultas": -2.5, "cobraron dos veces": -2.5, "problema": -1,
        "problemas": -1, "queja": -1, "espera": -1, "esperar": -1, "esperando": -1.2, "cola": -0.8,
        "interminable*": -2, "colgaron": -2, "colgó": -2, "culpa": -1.5, "pérdida de tiempo": -3,
        "vueltas": -1.5, "otra vez": -1, "sigo esperando": -2, "sigue sin": -2, "todavía no": -1.5,
        "todavía sin": -2, "sin respuesta": -2, "y nada": -1.5, "persiguiéndolo": -1.5, "darme de baja": -2,
        "de baja": -1.5, "nadie": -1, "sin explicación": -1.5, "sin ninguna explicación": -1.5,
        "la tercera": -1.5, "encima": -1, "no sirve": -2, "no se parece": -1.5, "no puedo": -1,
        "sin noticias": -1.5, "parado": -1, "lío": -2, "caos": -2, "incorrect*": -1.5, "equivocad*": -1.5,
        "erróne*": -1.5, "ignorad*": -2, "pesad*": -1.5, "cada vez": -0.5, "engañ*": -2,
        "falta*": -1.5, "aplastad*": -2, "abollad*": -1.5, "sucio*": -2, "sucia*": -2, "pendiente*": -1,
        "aplazad*": -1, "pospuest*": -1, "sin avisar": -1.5, "ni rastro": -2, "ningún registro": -2,
        "rechazad*": -1.5, "denegad*": -1.5, "no hay manera": -2, "intentos": -1, "recargo": -1.5,
        "cargo extra": -1.5, "penalización": -1.5, "sin resolver": -2, "cuarta vez": -1.5,
    },
    negators=(
        "no", "nunca", "jamás", "nada", "nadie", "ningún", "ninguno", "ninguna", "sin", "ni", "tampoco",
    ),
    expected_events=(
        "llegó", "llega", "llegan", "llegado", "vino", "viene", "apareció", "contesta", "contestó",
        "contestan", "respondió", "responde", "responden", "devolvió", "devuelven", "funciona", "funcionó",
        "recibí", "recibido", "avisó", "avisaron", "encontré", "encuentro", "entrar", "iniciar", "decirme",
        "dijo", "llamaron", "llamó", "hablar", "entregaron", "sirve",
    ),
    intensifiers=(
        "muy", "realmente", "tan", "súper", "super", "totalmente", "completamente", "absolutamente",
        "extremadamente", "increíblemente", "bastante", "todo",
    ),
    softeners=(
        "algo", "poco", "ligeramente",
    ),
    contrasts=(
        "pero", "sino", "aunque", "sin embargo",
    ),
    complaint_questions=(
        "por qué ", "por que ", "cómo es posible ",
    ),
)

LEXICONS: dict[str, LanguageLexicon] = {"en": ENGLISH, "de": GERMAN, "fr": FRENCH, "es": SPANISH}

# The commonest function words of each language, for telling them apart.
STOP_WORDS: dict[str, tuple[str, ...]] = {
    "en": (
        "the", "and", "to", "of", "a", "i", "my", "is", "was", "it", "in", "for", "on", "with", "you",
        "that", "this", "not", "have", "had", "they", "me", "at", "be", "but", "after", "again", "still",
        "been", "are", "were", "your", "no", "never", "nobody", "what", "why", "from", "so", "very",
    ),
    "de": (
        "der", "die", "das", "und", "ist", "nicht", "ich", "mein", "meine", "meiner", "mit", "sich", "auf",
        "für", "ein", "eine", "einen", "zu", "von", "war", "hat", "wurde", "noch", "auch", "aber", "schon",
        "wieder", "sehr", "kein", "keine", "nie", "bei", "nach", "mich", "mir", "es", "sie", "den", "dem",
        "des", "wie", "immer", "seit",
    ),
    "fr": (
        "le", "la", "les", "et", "est", "pas", "je", "j", "mon", "ma", "mes", "un", "une", "des", "du", "de",
        "en", "au", "aux", "que", "qui", "pour", "avec", "sur", "ne", "n", "c", "l", "d", "m", "très",
        "toujours", "jamais", "personne", "été", "ai", "a", "était", "ça", "il", "ils", "on",
    ),
    "es": (
        "el", "la", "los", "las", "y", "es", "no", "mi", "mis", "un", "una", "de", "del", "en", "que", "por",
        "para", "con", "me", "se", "lo", "muy", "todo", "fue", "sin", "otra", "vez", "nunca", "nadie",
        "pero", "ya", "al", "estoy", "sigo", "tuve", "hace", "desde",
    ),
}
# fmt: on
