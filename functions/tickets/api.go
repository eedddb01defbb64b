package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/mail"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/text"
	"github.com/cxloop/cxloop/shared/ticket"
	"github.com/cxloop/cxloop/shared/token"
	"github.com/cxloop/cxloop/shared/web"
)

// listTickets: GET /ops/tickets?status=&team=&assignee=&survey=&priority=&limit=&cursor= (default
// status: open and assigned), SLA order, one page at a time; "next" is the cursor of the next page.
func (h *Handler) listTickets(r *http.Request, who *access.Token) (web.Reply, error) {
	ctx := r.Context()
	f, err := queueFilterOf(r, who)
	if err != nil {
		return web.Reply{}, err
	}
	if s, ok, err := searchOf(r, who); err != nil || ok {
		if err != nil {
			return web.Reply{}, err
		}
		found, err := h.searchTickets(ctx, who, s, f)
		if err != nil {
			return web.Reply{}, err
		}
		return web.JSON(http.StatusOK, map[string]any{"tickets": visibleAll(who.Role, found)}), nil
	}
	limit := 100
	if l := web.Query(r, "limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > 500 {
			return web.Reply{}, fmt.Errorf("%w: limit is 1 to 500", errBadRequest)
		}
	}
	page, err := h.Store.TicketQueue(ctx, f, limit, web.Query(r, "cursor"))
	if err != nil {
		return web.Reply{}, err
	}
	if err := h.auditList(ctx, who, f, len(page.Tickets)); err != nil {
		return web.Reply{}, err
	}
	body := map[string]any{"tickets": visibleAll(who.Role, page.Tickets)}
	if page.Next != "" {
		body["next"] = page.Next
	}
	return web.JSON(http.StatusOK, body), nil
}

// queueFilterOf reads the queue's filters from the query; assignee=me is the caller's own name.
func queueFilterOf(r *http.Request, who *access.Token) (store.QueueFilter, error) {
	f := store.QueueFilter{Status: web.Query(r, "status"), Team: web.Query(r, "team"), Assignee: web.Query(r, "assignee"),
		Survey: web.Query(r, "survey"), Priority: web.Query(r, "priority"), Theme: web.Query(r, "theme")}
	if f.Status != "" && !slices.Contains(ticket.Statuses, f.Status) {
		return f, fmt.Errorf("%w: status must be one of %s", errBadRequest, strings.Join(ticket.Statuses, ", "))
	}
	if f.Assignee == "me" {
		if who.Name == "" {
			return f, fmt.Errorf("%w: your token has no name, so nothing is assigned to you", errBadRequest)
		}
		f.Assignee = who.Name
	}
	return f, nil
}

// getTicket: GET /ops/tickets/{id}.
func (h *Handler) getTicket(r *http.Request, who *access.Token) (web.Reply, error) {
	ctx := r.Context()
	t, err := h.Store.GetTicket(ctx, r.PathValue("id"))
	if err != nil {
		return web.Reply{}, err
	}
	if err := h.audit(ctx, who, access.AuditTicketRead, t.ID, 1); err != nil {
		return web.Reply{}, err
	}
	return web.JSON(http.StatusOK, visible(who.Role, *t)), nil
}

// Patch is the body of PATCH /ops/tickets/{id}; every field is optional.
type Patch struct {
	Status   string  `json:"status,omitempty"`
	Assignee *string `json:"assignee,omitempty"`
	Note     string  `json:"note,omitempty"`
	// CloseLoop, with status resolved, sends the customer the survey's close-the-loop email.
	CloseLoop bool `json:"closeLoop,omitempty"`
	// CloseLoopText is the agent's own message for that email (default: the catalog's text in
	// the customer's language).
	CloseLoopText string `json:"closeLoopText,omitempty"`
}

// maxCloseLoopText bounds an agent's close-the-loop message, in characters after cleaning.
const maxCloseLoopText = 2000

// patchTicket: PATCH /ops/tickets/{id} (agent).
func (h *Handler) patchTicket(r *http.Request, who *access.Token) (web.Reply, error) {
	ctx := r.Context()
	body, err := web.Body(r, 16<<10)
	if err != nil {
		return web.Reply{}, err
	}
	var p Patch
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return web.Reply{}, fmt.Errorf("%w: body must be JSON with status, assignee, note, closeLoop: %v", errBadRequest, err)
	}
	t, err := h.apply(ctx, r.PathValue("id"), who, p)
	if err != nil {
		return web.Reply{}, err
	}
	return web.JSON(http.StatusOK, visible(who.Role, *t)), nil
}

// maxNote is the longest note an agent may write, in characters.
const maxNote = 4000

// apply makes an agent's change (the API's PATCH and the console's forms share it). Assigning an
// open ticket moves it to assigned.
func (h *Handler) apply(ctx context.Context, id string, who *access.Token, p Patch) (*ticket.Ticket, error) {
	if !text.Valid(p.Note) {
		return nil, fmt.Errorf("%w: a note must be valid UTF-8", errBadRequest)
	}
	p.Note = text.Clean(p.Note)
	if text.Len(p.Note) > maxNote {
		return nil, fmt.Errorf("%w: a note is at most %d characters", errBadRequest, maxNote)
	}
	if p.Status != "" && !slices.Contains(ticket.Statuses, p.Status) {
		return nil, fmt.Errorf("%w: %q", ticket.ErrUnknownStatus, p.Status)
	}
	if !text.Valid(p.CloseLoopText) {
		return nil, fmt.Errorf("%w: the close-the-loop message must be valid UTF-8", errBadRequest)
	}
	if p.CloseLoopText = text.Clean(p.CloseLoopText); text.Len(p.CloseLoopText) > maxCloseLoopText {
		return nil, fmt.Errorf("%w: the close-the-loop message is at most %d characters", errBadRequest, maxCloseLoopText)
	}
	if p.CloseLoop && p.Status == ticket.StatusResolved && p.CloseLoopText == "" {
		if cur, err := h.Store.GetTicket(ctx, id); err == nil && h.closeLoopDraft(cur) == "" {
			return nil, fmt.Errorf("%w: this survey has no close-the-loop text: write the message (closeLoopText)", errBadRequest)
		}
	}
	if p.Assignee != nil {
		a := strings.TrimSpace(*p.Assignee)
		p.Assignee = &a
		if p.Status == "" && a != "" {
			if cur, err := h.Store.GetTicket(ctx, id); err == nil && cur.Status == ticket.StatusOpen {
				p.Status = ticket.StatusAssigned
			}
		}
	}
	t, err := h.Store.UpdateTicket(ctx, id, ticket.Change{Actor: actor(who), Status: p.Status, Assignee: p.Assignee,
		Note: strings.TrimSpace(p.Note), Retention: h.Retention})
	if err != nil {
		return nil, err
	}
	if p.CloseLoop && p.Status == ticket.StatusResolved {
		h.closeLoop(ctx, t, p.CloseLoopText)
		return h.Store.GetTicket(ctx, id)
	}
	return t, nil
}

func actor(who *access.Token) string {
	if who.Name != "" {
		return who.Role + ":" + who.Name
	}
	return who.Role
}

// CanCloseLoop reports whether resolving t can send the customer the close-the-loop email: the
// survey has a follow-up rule, the ticket has an address (an erased ticket has none) and an invitation to
// sign the unsubscribe link for, and it was not sent before. Suppression and opt-outs are checked
// when it is sent (closeLoop).
func (h *Handler) CanCloseLoop(t *ticket.Ticket) bool {
	sv, ok := h.Catalog.Survey(t.Survey)
	return ok && sv.Followup != nil && t.Email != "" && t.Erased == nil &&
		token.ValidID(t.InvitationID) && t.CloseLoop == nil && t.Cause == ticket.CauseAnswer
}

// closeLoopDraft is the catalog's close-the-loop text for t in its customer's language ("" if none).
func (h *Handler) closeLoopDraft(t *ticket.Ticket) string {
	sv, ok := h.Catalog.Survey(t.Survey)
	if !ok || sv.Followup == nil {
		return ""
	}
	return mail.CloseLoopDraft(t.Locale, sv.Followup.CloseLoop)
}

// closeLoopUnsubscribeValidity is how long the close-the-loop email's unsubscribe link works.
const closeLoopUnsubscribeValidity = 365 * 24 * time.Hour

// closeLoop sends the close-the-loop email once (claimed on the ticket) and records the outcome;
// a failure is recorded on the ticket, it never undoes the resolution. Like every email to a
// customer it honours the erasure, the contact's unsubscription, the address's opt-out and
// suppression (a refusal is recorded as "none" with the reason), and carries List-Unsubscribe.
func (h *Handler) closeLoop(ctx context.Context, t *ticket.Ticket, own string) {
	if !h.CanCloseLoop(t) || h.Mail == nil || h.Signer == nil || h.BaseURL == "" {
		return
	}
	if t.Notified("closeloop") { // an older outcome is recorded: keep it
		return
	}
	_, ok, err := h.Store.ClaimNotification(ctx, t.ID, "closeloop")
	if err == nil && !ok { // an older claim, kept on the ticket, was recorded
		return
	}
	if err != nil {
		// The claim may stand with its answer lost: nothing is sent, and the failure is recorded and
		// noted on the ticket, so the agent sees the customer got no email.
		err = fmt.Errorf("claim: %w", err)
	}
	sv, _ := h.Catalog.Survey(t.Survey)
	d := ticket.Delivery{At: h.Store.Now(), Webhook: "none"}
	var reason string
	if err == nil {
		reason, err = h.Store.MailBlocked(ctx, t.ContactID, t.Email)
	}
	if err == nil && reason == "" {
		if cur, gerr := h.Store.GetTicket(ctx, t.ID); gerr != nil {
			err = gerr
		} else if cur.Erased != nil || cur.Email == "" {
			reason = invitation.StopErased // erased while this request ran
		}
	}
	switch {
	case err != nil:
		d.Email, d.Error = "failed", err.Error()
	case reason != "":
		d.Email, d.Error = "none", "not sent: "+reason
	default:
		unsub := strings.TrimRight(h.BaseURL, "/") + "/u/" +
			h.Signer.Sign(token.Unsubscribe, t.InvitationID, h.Store.Now().Add(closeLoopUnsubscribeValidity))
		var m mail.Message
		m, err = mail.RenderCloseLoop(mail.CloseLoop{To: t.Email, Name: t.Name, Locale: t.Locale, Title: sv.Title,
			Body: sv.Followup.CloseLoop, Text: own, TicketID: t.ID, ReplyTo: h.Teams.For(t.Team), UnsubscribeURL: unsub})
		if err == nil {
			d.EmailMessageID, err = h.Mail.Send(ctx, m)
		}
		if err != nil {
			d.Email, d.Error = "failed", err.Error()
		} else {
			d.Email = "sent"
		}
	}
	if d.Email == "failed" {
		slog.ErrorContext(ctx, "close-the-loop email", "ticket", t.ID, "error", d.Error)
	}
	if err := h.Store.RecordDelivery(ctx, t.ID, "closeloop", d); err != nil {
		slog.ErrorContext(ctx, "record close-the-loop", "ticket", t.ID, "error", err)
	}
	what := "close-the-loop email " + d.Email
	if reason != "" {
		what += " (" + reason + ")"
	}
	if d.Email == "sent" {
		if own == "" {
			own = h.closeLoopDraft(t)
		}
		what += ": " + own // what the customer read; erasing the contact erases it
	}
	ev := ticket.Event{At: d.At, Actor: "system", Action: "closeloop", Text: what}
	if _, err := h.Store.AddTicketEvent(ctx, t.ID, "", ev); err != nil {
		slog.ErrorContext(ctx, "note close-the-loop", "ticket", t.ID, "error", err)
	}
}

// exportContact: GET /ops/contacts/{id}/export (admin): everything about the contact as JSON.
// The id is in the path as web.PathID (base64url); an id the table knows nothing of is 404.
func (h *Handler) exportContact(r *http.Request, who *access.Token) (web.Reply, error) {
	ctx := r.Context()
	id, err := contactArg(r)
	if err != nil {
		return web.Reply{}, err
	}
	x, err := h.Store.ExportContact(ctx, id)
	if err != nil {
		return web.Reply{}, err
	}
	if x.State == nil && len(x.Records) == 0 {
		return web.Reply{}, fmt.Errorf("%w: no contact with that id", errNotFound)
	}
	if err := h.audit(ctx, who, access.AuditContactExport, id, len(x.Records)); err != nil {
		return web.Reply{}, err
	}
	slog.InfoContext(ctx, "contact exported", "contact", id, "by", actor(who), "records", len(x.Records))
	resp := web.JSON(http.StatusOK, x)
	return web.WithHeader(resp, "Content-Disposition", `attachment; filename="contact-export.json"`), nil
}

// contactArg reads the contact id of a /ops/contacts/{id} path.
func contactArg(r *http.Request) (string, error) {
	id, err := web.ParsePathID(r.PathValue("id"))
	if err != nil {
		return "", fmt.Errorf("%w: %v", errBadRequest, err)
	}
	return id, nil
}

// eraseContact: DELETE /ops/contacts/{id} (admin): personal fields removed, scores untouched.
func (h *Handler) eraseContact(r *http.Request, who *access.Token) (web.Reply, error) {
	ctx := r.Context()
	id, err := contactArg(r)
	if err != nil {
		return web.Reply{}, err
	}
	n, err := h.Store.EraseContact(ctx, id)
	if err != nil {
		return web.Reply{}, err
	}
	if err := h.audit(ctx, who, access.AuditContactErase, id, n.Tickets); err != nil {
		return web.Reply{}, err
	}
	slog.InfoContext(ctx, "contact erased", "contact", id, "by", actor(who), "invitations", n.Invitations, "tickets", n.Tickets)
	return web.JSON(http.StatusOK, map[string]any{"contactId": id, "erased": n}), nil
}
