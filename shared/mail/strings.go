package mail

// ui holds the fixed texts of a survey email in one language. The survey's own texts (title,
// question) come from the catalog.
type ui struct {
	subject, reminderSubject string // %s is the survey title
	hello, helloName         string // helloName's %s is the contact's name
	intro, reminderIntro     string
	choose                   string // text part: the line above the score links
	unsubText, unsubLink     string
	privacy                  string
}

// strs are the languages survey emails are written in; others fall back to English.
var strs = map[string]ui{
	"en": {
		subject:         "%s: one quick question",
		reminderSubject: "Reminder: %s",
		hello:           "Hi,",
		helloName:       "Hi %s,",
		intro:           "We would love to hear how we did: choose a score below, then tap Send on the page that opens. Nothing is recorded until you do.",
		reminderIntro:   "A few days ago we asked for your feedback. If you have a moment, choose a score below, then tap Send on the page that opens.",
		choose:          "Choose a score, then tap Send on the page:",
		unsubText:       "Don't want survey emails from us?",
		unsubLink:       "Unsubscribe",
		privacy:         "Privacy notice",
	},
	"es": {
		subject:         "%s: una pregunta rápida",
		reminderSubject: "Recordatorio: %s",
		hello:           "Hola:",
		helloName:       "Hola, %s:",
		intro:           "Nos encantaría saber cómo lo hicimos: elige una puntuación y pulsa Enviar en la página que se abre. No se registra nada hasta entonces.",
		reminderIntro:   "Hace unos días te pedimos tu opinión. Si tienes un momento, elige una puntuación y pulsa Enviar en la página que se abre.",
		choose:          "Elige una puntuación y pulsa Enviar en la página:",
		unsubText:       "¿No quieres recibir nuestras encuestas?",
		unsubLink:       "Darse de baja",
		privacy:         "Aviso de privacidad",
	},
	"fr": {
		subject:         "%s : une petite question",
		reminderSubject: "Rappel : %s",
		hello:           "Bonjour,",
		helloName:       "Bonjour %s,",
		intro:           "Votre avis nous intéresse : choisissez une note ci-dessous, puis appuyez sur Envoyer sur la page qui s'ouvre. Rien n'est enregistré avant.",
		reminderIntro:   "Il y a quelques jours, nous vous avons demandé votre avis. Si vous avez un instant, choisissez une note ci-dessous, puis appuyez sur Envoyer sur la page qui s'ouvre.",
		choose:          "Choisissez une note, puis appuyez sur Envoyer sur la page :",
		unsubText:       "Vous ne souhaitez plus recevoir nos enquêtes ?",
		unsubLink:       "Se désabonner",
		privacy:         "Politique de confidentialité",
	},
}
