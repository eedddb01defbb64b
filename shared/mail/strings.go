package mail

// ui holds the fixed texts of a survey email in one language. The survey's own texts (title,
// question) come from the catalog.
type ui struct {
	subject, reminderSubject string // %s is the survey title
	hello, helloName         string // helloName's %s is the contact's name
	intro, reminderIntro     string
	choose                   string // text part: the line above the score links
	unsubText, unsubLink     string
}

// strs are the languages survey emails are written in; others fall back to English.
var strs = map[string]ui{
	"en": {
		subject:         "%s: one quick question",
		reminderSubject: "Reminder: %s",
		hello:           "Hi,",
		helloName:       "Hi %s,",
		intro:           "We would love to hear how we did. It takes one click: choose a score below.",
		reminderIntro:   "A few days ago we asked for your feedback. If you have a moment, one click is all it takes.",
		choose:          "Choose a score:",
		unsubText:       "Don't want survey emails from us?",
		unsubLink:       "Unsubscribe",
	},
	"es": {
		subject:         "%s: una pregunta rápida",
		reminderSubject: "Recordatorio: %s",
		hello:           "Hola:",
		helloName:       "Hola, %s:",
		intro:           "Nos encantaría saber cómo lo hicimos. Solo hace falta un clic: elige una puntuación.",
		reminderIntro:   "Hace unos días te pedimos tu opinión. Si tienes un momento, basta con un clic.",
		choose:          "Elige una puntuación:",
		unsubText:       "¿No quieres recibir nuestras encuestas?",
		unsubLink:       "Darse de baja",
	},
	"fr": {
		subject:         "%s : une petite question",
		reminderSubject: "Rappel : %s",
		hello:           "Bonjour,",
		helloName:       "Bonjour %s,",
		intro:           "Votre avis nous intéresse. Un seul clic suffit : choisissez une note ci-dessous.",
		reminderIntro:   "Il y a quelques jours, nous vous avons demandé votre avis. Si vous avez un instant, un clic suffit.",
		choose:          "Choisissez une note :",
		unsubText:       "Vous ne souhaitez plus recevoir nos enquêtes ?",
		unsubLink:       "Se désabonner",
	},
}
