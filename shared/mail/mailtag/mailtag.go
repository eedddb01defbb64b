// Package mailtag names the SES message tags that tie SES's events (bounces, complaints) back to
// the record that caused a send. The mail package sets them; MailEventsFunction reads them back
// without linking the SES client.
package mailtag

// Tag names. SES allows ASCII letters, digits, '_' and '-' in names and values.
const (
	Invitation = "invitation"
	Survey     = "survey"
	Kind       = "kind"
	Ticket     = "ticket"
)

// Values of the Kind tag on survey emails.
const (
	KindInvite   = "invite"
	KindReminder = "reminder"
)
