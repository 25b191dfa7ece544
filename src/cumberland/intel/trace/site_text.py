"""The published site's own words in every language it is offered in.

Only the site's text is translated; what an investigator writes about an object (its title and
hints) is published as entered, marked with the languages it was given in. A key missing in
one language is a test failure, never an English word on a French page.
"""

from __future__ import annotations

SITE_LANGUAGES = ("en", "fr", "de", "nl", "da", "es")
CATEGORIES = ("bag", "clothing", "toy", "logo", "packaging", "furniture", "view", "other")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "language": "English",
        "title": "Trace an object",
        "intro": "Police are trying to find out where these objects come from. Each one was "
                 "seen in an investigation into the sexual abuse of a child; only the object "
                 "is shown. If you recognise one (a brand, a shop, a pattern, a place), tell "
                 "us. The smallest clue can help find a child.",
        "emergency": "If a child is in danger right now, call your local emergency number.",
        "objects": "Objects",
        "none": "No objects are published at the moment.",
        "category": "Category",
        "hints": "Questions that may help",
        "recognise": "Do you recognise it?",
        "anonymous": "You do not have to give your name. We do not record your IP address, "
                     "your browser or any cookie.",
        "tip": "What do you know about it?",
        "contact": "How can we reach you? (optional)",
        "send": "Send",
        "limits": "Text only, at most 5,000 characters. Please do not send pictures or links.",
        "slow": "With JavaScript your browser first does a few seconds of work that keeps "
                "automated spam out; without it, tips are accepted at a slower pace.",
        "working": "Preparing your tip…",
        "thanks_title": "Thank you",
        "thanks": "Your tip has been received and will be read by investigators.",
        "refused_title": "Your tip was not sent",
        "refused": "The form could not be accepted. Go back, check your text (at most 5,000 "
                   "characters) and send it again.",
        "busy_title": "Please try again later",
        "busy": "Many tips are arriving right now. Please wait a few minutes, then send "
                "yours again.",
        "back": "All objects",
        "languages": "Languages",
        "cat_bag": "Bag", "cat_clothing": "Clothing", "cat_toy": "Toy", "cat_logo": "Logo",
        "cat_packaging": "Packaging", "cat_furniture": "Furniture",
        "cat_view": "View or place", "cat_other": "Other",
    },
    "fr": {
        "language": "Français",
        "title": "Identifier un objet",
        "intro": "La police cherche à savoir d'où viennent ces objets. Chacun a été vu au "
                 "cours d'une enquête sur des abus sexuels commis sur un enfant ; seul l'objet "
                 "est montré. Si vous en reconnaissez un (une marque, un magasin, un motif, un "
                 "lieu), dites-le-nous. Le plus petit indice peut aider à retrouver un enfant.",
        "emergency": "Si un enfant est en danger en ce moment, appelez le numéro d'urgence "
                     "local.",
        "objects": "Objets",
        "none": "Aucun objet n'est publié pour le moment.",
        "category": "Catégorie",
        "hints": "Questions qui peuvent aider",
        "recognise": "Le reconnaissez-vous ?",
        "anonymous": "Vous n'êtes pas obligé de donner votre nom. Nous n'enregistrons ni "
                     "votre adresse IP, ni votre navigateur, ni aucun cookie.",
        "tip": "Que savez-vous de cet objet ?",
        "contact": "Comment vous joindre ? (facultatif)",
        "send": "Envoyer",
        "limits": "Texte uniquement, 5 000 caractères au plus. N'envoyez ni images ni liens.",
        "slow": "Avec JavaScript, votre navigateur effectue d'abord quelques secondes de "
                "calcul qui écartent les envois automatiques ; sans JavaScript, les "
                "signalements sont acceptés à un rythme plus lent.",
        "working": "Préparation de votre signalement…",
        "thanks_title": "Merci",
        "thanks": "Votre signalement a été reçu et sera lu par les enquêteurs.",
        "refused_title": "Votre signalement n'a pas été envoyé",
        "refused": "Le formulaire n'a pas pu être accepté. Revenez en arrière, vérifiez votre "
                   "texte (5 000 caractères au plus) et envoyez-le à nouveau.",
        "busy_title": "Veuillez réessayer plus tard",
        "busy": "Beaucoup de signalements arrivent en ce moment. Attendez quelques minutes, "
                "puis envoyez le vôtre à nouveau.",
        "back": "Tous les objets",
        "languages": "Langues",
        "cat_bag": "Sac", "cat_clothing": "Vêtement", "cat_toy": "Jouet", "cat_logo": "Logo",
        "cat_packaging": "Emballage", "cat_furniture": "Meuble",
        "cat_view": "Vue ou lieu", "cat_other": "Autre",
    },
    "de": {
        "language": "Deutsch",
        "title": "Einen Gegenstand zuordnen",
        "intro": "Die Polizei versucht herauszufinden, woher diese Gegenstände stammen. Jeder "
                 "wurde bei Ermittlungen wegen sexuellen Missbrauchs eines Kindes gesehen; "
                 "gezeigt wird nur der Gegenstand. Wenn Sie einen wiedererkennen (eine Marke, "
                 "ein Geschäft, ein Muster, einen Ort), sagen Sie es uns. Der kleinste Hinweis "
                 "kann helfen, ein Kind zu finden.",
        "emergency": "Wenn ein Kind jetzt in Gefahr ist, rufen Sie die örtliche Notrufnummer "
                     "an.",
        "objects": "Gegenstände",
        "none": "Zurzeit sind keine Gegenstände veröffentlicht.",
        "category": "Kategorie",
        "hints": "Fragen, die helfen können",
        "recognise": "Erkennen Sie ihn wieder?",
        "anonymous": "Sie müssen Ihren Namen nicht angeben. Wir speichern weder Ihre "
                     "IP-Adresse noch Ihren Browser noch Cookies.",
        "tip": "Was wissen Sie darüber?",
        "contact": "Wie können wir Sie erreichen? (freiwillig)",
        "send": "Senden",
        "limits": "Nur Text, höchstens 5.000 Zeichen. Bitte keine Bilder oder Links senden.",
        "slow": "Mit JavaScript rechnet Ihr Browser zuerst einige Sekunden, was automatischen "
                "Spam fernhält; ohne JavaScript werden Hinweise langsamer angenommen.",
        "working": "Ihr Hinweis wird vorbereitet…",
        "thanks_title": "Vielen Dank",
        "thanks": "Ihr Hinweis ist eingegangen und wird von Ermittlern gelesen.",
        "refused_title": "Ihr Hinweis wurde nicht gesendet",
        "refused": "Das Formular konnte nicht angenommen werden. Gehen Sie zurück, prüfen Sie "
                   "Ihren Text (höchstens 5.000 Zeichen) und senden Sie ihn erneut.",
        "busy_title": "Bitte versuchen Sie es später noch einmal",
        "busy": "Gerade kommen viele Hinweise an. Bitte warten Sie einige Minuten und senden "
                "Sie Ihren dann erneut.",
        "back": "Alle Gegenstände",
        "languages": "Sprachen",
        "cat_bag": "Tasche", "cat_clothing": "Kleidung", "cat_toy": "Spielzeug",
        "cat_logo": "Logo", "cat_packaging": "Verpackung", "cat_furniture": "Möbel",
        "cat_view": "Ansicht oder Ort", "cat_other": "Sonstiges",
    },
    "nl": {
        "language": "Nederlands",
        "title": "Herken een voorwerp",
        "intro": "De politie probeert te achterhalen waar deze voorwerpen vandaan komen. Elk "
                 "voorwerp is gezien in een onderzoek naar seksueel misbruik van een kind; "
                 "alleen het voorwerp wordt getoond. Herkent u er een (een merk, een winkel, "
                 "een patroon, een plek), laat het ons weten. De kleinste aanwijzing kan "
                 "helpen een kind te vinden.",
        "emergency": "Is een kind nu in gevaar? Bel het lokale alarmnummer.",
        "objects": "Voorwerpen",
        "none": "Er zijn op dit moment geen voorwerpen gepubliceerd.",
        "category": "Categorie",
        "hints": "Vragen die kunnen helpen",
        "recognise": "Herkent u het?",
        "anonymous": "U hoeft uw naam niet te geven. We slaan uw IP-adres, uw browser en "
                     "cookies niet op.",
        "tip": "Wat weet u erover?",
        "contact": "Hoe kunnen we u bereiken? (niet verplicht)",
        "send": "Versturen",
        "limits": "Alleen tekst, maximaal 5.000 tekens. Stuur geen afbeeldingen of links.",
        "slow": "Met JavaScript rekent uw browser eerst een paar seconden, wat automatische "
                "spam tegenhoudt; zonder JavaScript worden tips langzamer aangenomen.",
        "working": "Uw tip wordt voorbereid…",
        "thanks_title": "Dank u wel",
        "thanks": "Uw tip is ontvangen en wordt gelezen door rechercheurs.",
        "refused_title": "Uw tip is niet verstuurd",
        "refused": "Het formulier kon niet worden aangenomen. Ga terug, controleer uw tekst "
                   "(maximaal 5.000 tekens) en verstuur hem opnieuw.",
        "busy_title": "Probeer het later opnieuw",
        "busy": "Er komen nu veel tips binnen. Wacht een paar minuten en verstuur de uwe "
                "dan opnieuw.",
        "back": "Alle voorwerpen",
        "languages": "Talen",
        "cat_bag": "Tas", "cat_clothing": "Kleding", "cat_toy": "Speelgoed", "cat_logo": "Logo",
        "cat_packaging": "Verpakking", "cat_furniture": "Meubel",
        "cat_view": "Uitzicht of plek", "cat_other": "Overig",
    },
    "da": {
        "language": "Dansk",
        "title": "Genkend en genstand",
        "intro": "Politiet prøver at finde ud af, hvor disse genstande kommer fra. Hver af dem "
                 "er set i en efterforskning af seksuelt misbrug af et barn; kun genstanden "
                 "vises. Hvis du genkender en (et mærke, en butik, et mønster, et sted), så "
                 "fortæl os det. Det mindste spor kan hjælpe med at finde et barn.",
        "emergency": "Hvis et barn er i fare lige nu, så ring til dit lokale alarmnummer.",
        "objects": "Genstande",
        "none": "Der er ingen genstande offentliggjort i øjeblikket.",
        "category": "Kategori",
        "hints": "Spørgsmål, der kan hjælpe",
        "recognise": "Genkender du den?",
        "anonymous": "Du behøver ikke at oplyse dit navn. Vi gemmer ikke din IP-adresse, din "
                     "browser eller cookies.",
        "tip": "Hvad ved du om den?",
        "contact": "Hvordan kan vi kontakte dig? (frivilligt)",
        "send": "Send",
        "limits": "Kun tekst, højst 5.000 tegn. Send venligst ikke billeder eller links.",
        "slow": "Med JavaScript regner din browser først i nogle sekunder, hvilket holder "
                "automatisk spam ude; uden JavaScript modtages tip i et langsommere tempo.",
        "working": "Dit tip forberedes…",
        "thanks_title": "Tak",
        "thanks": "Dit tip er modtaget og vil blive læst af efterforskere.",
        "refused_title": "Dit tip blev ikke sendt",
        "refused": "Formularen kunne ikke modtages. Gå tilbage, kontrollér din tekst (højst "
                   "5.000 tegn), og send den igen.",
        "busy_title": "Prøv igen senere",
        "busy": "Der kommer mange tip ind lige nu. Vent et par minutter, og send så dit igen.",
        "back": "Alle genstande",
        "languages": "Sprog",
        "cat_bag": "Taske", "cat_clothing": "Tøj", "cat_toy": "Legetøj", "cat_logo": "Logo",
        "cat_packaging": "Emballage", "cat_furniture": "Møbel",
        "cat_view": "Udsigt eller sted", "cat_other": "Andet",
    },
    "es": {
        "language": "Español",
        "title": "Identifica un objeto",
        "intro": "La policía intenta averiguar de dónde proceden estos objetos. Cada uno se "
                 "vio en una investigación sobre el abuso sexual de un niño o una niña; solo "
                 "se muestra el objeto. Si reconoce alguno (una marca, una tienda, un dibujo, "
                 "un lugar), díganoslo. La pista más pequeña puede ayudar a encontrar a un "
                 "menor.",
        "emergency": "Si un menor está en peligro ahora mismo, llame al número de emergencias "
                     "local.",
        "objects": "Objetos",
        "none": "No hay objetos publicados en este momento.",
        "category": "Categoría",
        "hints": "Preguntas que pueden ayudar",
        "recognise": "¿Lo reconoce?",
        "anonymous": "No tiene que dar su nombre. No registramos su dirección IP, su navegador "
                     "ni ninguna cookie.",
        "tip": "¿Qué sabe de él?",
        "contact": "¿Cómo podemos contactarle? (opcional)",
        "send": "Enviar",
        "limits": "Solo texto, 5.000 caracteres como máximo. No envíe imágenes ni enlaces.",
        "slow": "Con JavaScript, su navegador calcula primero durante unos segundos, lo que "
                "frena el spam automático; sin JavaScript, las pistas se aceptan a un ritmo "
                "más lento.",
        "working": "Preparando su pista…",
        "thanks_title": "Gracias",
        "thanks": "Hemos recibido su pista; la leerán los investigadores.",
        "refused_title": "Su pista no se ha enviado",
        "refused": "No se ha podido aceptar el formulario. Vuelva atrás, revise su texto "
                   "(5.000 caracteres como máximo) y envíelo de nuevo.",
        "busy_title": "Inténtelo más tarde",
        "busy": "Están llegando muchas pistas en este momento. Espere unos minutos y vuelva a "
                "enviar la suya.",
        "back": "Todos los objetos",
        "languages": "Idiomas",
        "cat_bag": "Bolso", "cat_clothing": "Ropa", "cat_toy": "Juguete", "cat_logo": "Logotipo",
        "cat_packaging": "Envase", "cat_furniture": "Mueble",
        "cat_view": "Vista o lugar", "cat_other": "Otro",
    },
}
