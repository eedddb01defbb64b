package main

import (
	"strings"
)

// ui holds the fixed texts of the pages in one language; the survey's own texts (title, question,
// comment question) and the scale labels (catalog.Metric.ScaleLabels, shared with the email) come
// from the catalog.
type ui struct {
	Lang string

	Optional, CommentHint, CommentDefault, Submit     string // CommentHint's %d is MaxComment
	ScaleHint                                         string // one end of the scale: "%d = %s"
	ThanksTitle, ThanksBody, ThanksChange, ChangeLink string // ThanksChange's %s: until when
	YourAnswer                                        string
	FinalTitle, FinalBody                             string
	ErrNoScore, ErrScoreRange, ErrTooLong, ErrForm    string
	NotFoundTitle, NotFoundBody                       string
	ExpiredTitle, ExpiredBody                         string
	NotReadyTitle, NotReadyBody                       string
	BusyTitle, BusyBody                               string
	TooLargeTitle, TooLargeBody                       string
	ErrorTitle, ErrorBody                             string
	UnsubTitle, UnsubBody, UnsubButton, UnsubLink     string
	UnsubDoneTitle, UnsubDoneBody                     string
	UnsubWho                                          string // %s the company, %s the masked address
	UnsubExpiredTitle, UnsubExpiredBody               string
	ErrorSummary                                      string
	PickFirst, YourScore, Privacy                     string
	SendN                                             string // %d is the chosen score
	Stored                                            string // %d the stored score, %s until when it can change
	ThanksLow, ThanksMid, ThanksHigh, InTouch         string // by score band; InTouch when a ticket opens
	BackToSurvey, HomeLink                            string
	ReviewLink                                        string // the high band's invitation to review us
	ResubOffer, ResubButton                           string // on the unsubscribed page
	ResubDoneTitle, ResubDoneBody                     string
	ResubBlockedTitle                                 string // resubscribed, but the address stays suppressed:
	ResubBounced, ResubComplained, ResubSuppressed    string // why, by suppression reason
	OriginTitle, OriginBody                           string // a resubscribe POST not from our page
}

// texts are the languages the pages are written in (the catalog's survey languages); others fall
// back to English.
var texts = map[string]*ui{
	"en": {
		Lang:              "en",
		ResubOffer:        "Changed your mind? You can receive our survey emails again.",
		ResubButton:       "Subscribe again",
		ResubDoneTitle:    "You are subscribed again",
		ResubDoneBody:     "You may receive survey emails from us again. Each email has an unsubscribe link.",
		ResubBlockedTitle: "We still cannot email this address",
		ResubBounced:      "Your unsubscribe is undone, but earlier email to this address bounced, so we will not send survey emails to it. That cannot be changed from this page.",
		ResubComplained:   "Your unsubscribe is undone, but one of our emails to this address was reported as spam, so we will not send survey emails to it. That cannot be changed from this page.",
		ResubSuppressed:   "Your unsubscribe is undone, but this address is on our do-not-send list, so we will not send survey emails to it. That cannot be changed from this page.",
		OriginTitle:       "Please use the button on the page",
		OriginBody:        "This request did not come from our page, so nothing was changed. Open the link again and use the button there.",
		UnsubWho:          "Survey emails from %s to %s.",
		PickFirst:         "Choose a score above, then tap Send. Nothing is recorded until you do.",
		YourScore:         "Your score",
		Privacy:           "Privacy notice",
		SendN:             "Send %d",
		Stored:            "We have your answer: %d. You can change it until %s by choosing a score and tapping Send again.",
		ThanksLow:         "We are sorry we let you down. Your answer helps us put it right.",
		ThanksMid:         "Your answer helps us do better.",
		ThanksHigh:        "We are glad it went well.",
		InTouch:           "Our team will be in touch with you about it.",
		BackToSurvey:      "Back to the survey",
		HomeLink:          "Go to our website",
		ReviewLink:        "Would you tell others? Write a review",
		Optional:          "(optional)",
		CommentHint:       "Up to %d characters.",
		CommentDefault:    "Anything you would like to add?",
		Submit:            "Send",
		ScaleHint:         "%d = %s",
		ThanksTitle:       "Thank you!",
		ThanksBody:        "Your answer has been recorded.",
		ThanksChange:      "You can change it until %s.",
		ChangeLink:        "Change my answer",
		YourAnswer:        "Your answer",
		FinalTitle:        "Your answer is final",
		FinalBody:         "Thank you for answering. The time for changing the answer has passed, so it stays as it is.",
		ErrNoScore:        "Please choose a score.",
		ErrScoreRange:     "Please choose one of the scores shown.",
		ErrTooLong:        "Your comment is too long: please shorten it to %d characters.",
		ErrForm:           "We could not read the form. Please try again.",
		NotFoundTitle:     "Link not found",
		NotFoundBody:      "This survey link is not valid. Please check that you copied the whole link from the email.",
		ExpiredTitle:      "This survey has closed",
		ExpiredBody:       "The link has expired, so answers are no longer collected. Thank you all the same.",
		NotReadyTitle:     "Please try again in a minute",
		NotReadyBody:      "This survey is not open yet. Please try the link again in a minute.",
		BusyTitle:         "Please send your answer again",
		BusyBody:          "Your answer was being changed from another window at the same moment, so this one was not saved. Open the link again to see what was saved and send again if you want to change it.",
		TooLargeTitle:     "Your answer is too long",
		TooLargeBody:      "Please go back, shorten your comment and send it again.",
		ErrorTitle:        "Something went wrong",
		ErrorBody:         "We could not handle your request. Please try again in a few minutes.",
		UnsubTitle:        "Unsubscribe from surveys",
		UnsubBody:         "You will no longer receive survey emails from us, including reminders of surveys you have not answered.",
		UnsubButton:       "Unsubscribe",
		UnsubLink:         "Unsubscribe from survey emails",
		UnsubDoneTitle:    "You are unsubscribed",
		UnsubDoneBody:     "You will not receive any more survey emails from us.",
		UnsubExpiredTitle: "This link has expired",
		UnsubExpiredBody:  "To stop survey emails, use the unsubscribe link in a more recent survey email.",
		ErrorSummary:      "There is a problem",
	},
	"es": {
		Lang:              "es",
		ResubOffer:        "¿Has cambiado de opinión? Puedes volver a recibir nuestras encuestas por correo.",
		ResubButton:       "Volver a suscribirme",
		ResubDoneTitle:    "Te has vuelto a suscribir",
		ResubDoneBody:     "Puedes volver a recibir encuestas por correo de nuestra parte. Cada correo tiene un enlace para darte de baja.",
		ResubBlockedTitle: "Seguimos sin poder escribir a esta dirección",
		ResubBounced:      "Tu baja se ha anulado, pero un correo anterior a esta dirección fue devuelto, así que no le enviaremos encuestas. Eso no se puede cambiar desde esta página.",
		ResubComplained:   "Tu baja se ha anulado, pero uno de nuestros correos a esta dirección se marcó como spam, así que no le enviaremos encuestas. Eso no se puede cambiar desde esta página.",
		ResubSuppressed:   "Tu baja se ha anulado, pero esta dirección está en nuestra lista de no envío, así que no le enviaremos encuestas. Eso no se puede cambiar desde esta página.",
		OriginTitle:       "Usa el botón de la página",
		OriginBody:        "Esta solicitud no vino de nuestra página, así que no se ha cambiado nada. Abre el enlace de nuevo y usa el botón que aparece.",
		UnsubWho:          "Encuestas por correo de %s a %s.",
		PickFirst:         "Elige una puntuación arriba y pulsa Enviar. No se registra nada hasta entonces.",
		YourScore:         "Tu puntuación",
		Privacy:           "Aviso de privacidad",
		SendN:             "Enviar %d",
		Stored:            "Tenemos tu respuesta: %d. Puedes cambiarla hasta el %s eligiendo una puntuación y pulsando Enviar de nuevo.",
		ThanksLow:         "Sentimos haberte fallado. Tu respuesta nos ayuda a corregirlo.",
		ThanksMid:         "Tu respuesta nos ayuda a mejorar.",
		ThanksHigh:        "Nos alegra que haya ido bien.",
		InTouch:           "Nuestro equipo se pondrá en contacto contigo.",
		BackToSurvey:      "Volver a la encuesta",
		HomeLink:          "Ir a nuestro sitio web",
		ReviewLink:        "¿Se lo contarías a otros? Escribe una reseña",
		Optional:          "(opcional)",
		CommentHint:       "Hasta %d caracteres.",
		CommentDefault:    "¿Quieres añadir algo?",
		Submit:            "Enviar",
		ScaleHint:         "%d = %s",
		ThanksTitle:       "¡Gracias!",
		ThanksBody:        "Hemos registrado tu respuesta.",
		ThanksChange:      "Puedes cambiarla hasta el %s.",
		ChangeLink:        "Cambiar mi respuesta",
		YourAnswer:        "Tu respuesta",
		FinalTitle:        "Tu respuesta es definitiva",
		FinalBody:         "Gracias por responder. El plazo para cambiar la respuesta ha terminado, así que se queda como está.",
		ErrNoScore:        "Elige una puntuación.",
		ErrScoreRange:     "Elige una de las puntuaciones que se muestran.",
		ErrTooLong:        "Tu comentario es demasiado largo: acórtalo a %d caracteres.",
		ErrForm:           "No pudimos leer el formulario. Inténtalo de nuevo.",
		NotFoundTitle:     "Enlace no encontrado",
		NotFoundBody:      "Este enlace de encuesta no es válido. Comprueba que copiaste el enlace completo del correo.",
		ExpiredTitle:      "Esta encuesta ha terminado",
		ExpiredBody:       "El enlace ha caducado y ya no se recogen respuestas. Gracias de todos modos.",
		NotReadyTitle:     "Inténtalo de nuevo en un minuto",
		NotReadyBody:      "Esta encuesta aún no está abierta. Vuelve a abrir el enlace en un minuto.",
		BusyTitle:         "Vuelve a enviar tu respuesta",
		BusyBody:          "Tu respuesta se estaba cambiando desde otra ventana en ese mismo momento, así que esta no se guardó. Vuelve a abrir el enlace para ver lo guardado y envía de nuevo si quieres cambiarlo.",
		TooLargeTitle:     "Tu respuesta es demasiado larga",
		TooLargeBody:      "Vuelve atrás, acorta tu comentario y envíalo de nuevo.",
		ErrorTitle:        "Algo salió mal",
		ErrorBody:         "No pudimos atender tu solicitud. Inténtalo de nuevo en unos minutos.",
		UnsubTitle:        "Darse de baja de las encuestas",
		UnsubBody:         "Dejarás de recibir nuestras encuestas por correo, incluidos los recordatorios de encuestas sin responder.",
		UnsubButton:       "Darme de baja",
		UnsubLink:         "Darse de baja de las encuestas por correo",
		UnsubDoneTitle:    "Te has dado de baja",
		UnsubDoneBody:     "No recibirás más encuestas por correo de nuestra parte.",
		UnsubExpiredTitle: "Este enlace ha caducado",
		UnsubExpiredBody:  "Para dejar de recibir encuestas, usa el enlace para darse de baja de un correo de encuesta más reciente.",
		ErrorSummary:      "Hay un problema",
	},
	"fr": {
		Lang:              "fr",
		ResubOffer:        "Vous avez changé d'avis ? Vous pouvez recevoir à nouveau nos enquêtes par e-mail.",
		ResubButton:       "Me réabonner",
		ResubDoneTitle:    "Vous êtes réabonné",
		ResubDoneBody:     "Vous pourrez à nouveau recevoir nos enquêtes par e-mail. Chaque e-mail contient un lien de désabonnement.",
		ResubBlockedTitle: "Nous ne pouvons toujours pas écrire à cette adresse",
		ResubBounced:      "Votre désabonnement est annulé, mais un e-mail précédent à cette adresse nous est revenu, donc nous ne lui enverrons pas d'enquêtes. Cela ne peut pas être changé depuis cette page.",
		ResubComplained:   "Votre désabonnement est annulé, mais l'un de nos e-mails à cette adresse a été signalé comme spam, donc nous ne lui enverrons pas d'enquêtes. Cela ne peut pas être changé depuis cette page.",
		ResubSuppressed:   "Votre désabonnement est annulé, mais cette adresse est sur notre liste de non-envoi, donc nous ne lui enverrons pas d'enquêtes. Cela ne peut pas être changé depuis cette page.",
		OriginTitle:       "Utilisez le bouton de la page",
		OriginBody:        "Cette demande ne vient pas de notre page, donc rien n'a été modifié. Ouvrez à nouveau le lien et utilisez le bouton qui s'y trouve.",
		UnsubWho:          "Enquêtes par e-mail de %s à %s.",
		PickFirst:         "Choisissez une note ci-dessus, puis appuyez sur Envoyer. Rien n'est enregistré avant.",
		YourScore:         "Votre note",
		Privacy:           "Politique de confidentialité",
		SendN:             "Envoyer %d",
		Stored:            "Nous avons votre réponse : %d. Vous pouvez la modifier jusqu'au %s en choisissant une note puis en appuyant à nouveau sur Envoyer.",
		ThanksLow:         "Nous sommes désolés de vous avoir déçu. Votre réponse nous aide à corriger cela.",
		ThanksMid:         "Votre réponse nous aide à nous améliorer.",
		ThanksHigh:        "Nous sommes ravis que cela se soit bien passé.",
		InTouch:           "Notre équipe va vous contacter à ce sujet.",
		BackToSurvey:      "Revenir à l'enquête",
		HomeLink:          "Aller sur notre site",
		ReviewLink:        "Vous le diriez à d'autres ? Écrivez un avis",
		Optional:          "(facultatif)",
		CommentHint:       "%d caractères au maximum.",
		CommentDefault:    "Souhaitez-vous ajouter quelque chose ?",
		Submit:            "Envoyer",
		ScaleHint:         "%d = %s",
		ThanksTitle:       "Merci !",
		ThanksBody:        "Votre réponse a été enregistrée.",
		ThanksChange:      "Vous pouvez la modifier jusqu'au %s.",
		ChangeLink:        "Modifier ma réponse",
		YourAnswer:        "Votre réponse",
		FinalTitle:        "Votre réponse est définitive",
		FinalBody:         "Merci d'avoir répondu. Le délai de modification est passé, votre réponse reste telle quelle.",
		ErrNoScore:        "Veuillez choisir une note.",
		ErrScoreRange:     "Veuillez choisir l'une des notes proposées.",
		ErrTooLong:        "Votre commentaire est trop long : raccourcissez-le à %d caractères.",
		ErrForm:           "Nous n'avons pas pu lire le formulaire. Veuillez réessayer.",
		NotFoundTitle:     "Lien introuvable",
		NotFoundBody:      "Ce lien d'enquête n'est pas valide. Vérifiez que vous avez copié le lien complet depuis l'e-mail.",
		ExpiredTitle:      "Cette enquête est close",
		ExpiredBody:       "Le lien a expiré, les réponses ne sont plus recueillies. Merci tout de même.",
		NotReadyTitle:     "Veuillez réessayer dans une minute",
		NotReadyBody:      "Cette enquête n'est pas encore ouverte. Rouvrez le lien dans une minute.",
		BusyTitle:         "Veuillez renvoyer votre réponse",
		BusyBody:          "Votre réponse était modifiée depuis une autre fenêtre au même moment, celle-ci n'a donc pas été enregistrée. Rouvrez le lien pour voir ce qui a été enregistré et renvoyez-la si vous voulez la changer.",
		TooLargeTitle:     "Votre réponse est trop longue",
		TooLargeBody:      "Revenez en arrière, raccourcissez votre commentaire et envoyez-le à nouveau.",
		ErrorTitle:        "Une erreur s'est produite",
		ErrorBody:         "Nous n'avons pas pu traiter votre demande. Veuillez réessayer dans quelques minutes.",
		UnsubTitle:        "Se désabonner des enquêtes",
		UnsubBody:         "Vous ne recevrez plus nos enquêtes par e-mail, y compris les rappels des enquêtes sans réponse.",
		UnsubButton:       "Me désabonner",
		UnsubLink:         "Se désabonner des enquêtes par e-mail",
		UnsubDoneTitle:    "Vous êtes désabonné",
		UnsubDoneBody:     "Vous ne recevrez plus d'enquêtes par e-mail de notre part.",
		UnsubExpiredTitle: "Ce lien a expiré",
		UnsubExpiredBody:  "Pour ne plus recevoir d'enquêtes, utilisez le lien de désabonnement d'un e-mail d'enquête plus récent.",
		ErrorSummary:      "Il y a un problème",
	},
}

// textsFor picks the page language for a locale ("es-MX" -> es), English if there is none.
func textsFor(locale string) *ui {
	locale = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(locale), "_", "-"))
	if t, ok := texts[locale]; ok {
		return t
	}
	if lang, _, ok := strings.Cut(locale, "-"); ok {
		if t, ok := texts[lang]; ok {
			return t
		}
	}
	return texts["en"]
}

// acceptLanguage picks a page language from an Accept-Language header, for pages shown before the
// invitation (and its language) is known: an unknown or tampered link.
func acceptLanguage(header string) *ui {
	for _, part := range strings.Split(header, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if tag == "" || tag == "*" {
			continue
		}
		if t := textsFor(tag); t.Lang != "en" || strings.HasPrefix(strings.ToLower(tag), "en") {
			return t
		}
	}
	return texts["en"]
}
