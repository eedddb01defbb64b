package main

import (
	"fmt"
	"strings"

	"github.com/cxloop/cxloop/shared/cost"
)

// Volume assumptions of the model (one month, 1,000,000 surveys sent).
const (
	surveys      = 1e6
	responseRate = 0.30 // answered share; the rest get their one reminder
	ticketShare  = 0.20 // answered surveys at or below the follow-up threshold
	dispatchRuns = 43200.0
	scoreRuns    = 2880.0
	slaRuns      = 8640.0
)

func (r *report) meanMs(fn string) float64 { return mean(r.Durations[fn]) }

// memoryGB is every function's memory in GB, as costs.yaml states it.
func memoryGB(m *cost.Model) float64 { return m.MemoryMB / 1024 }

// quantity prints a count in millions from a million up.
func quantity(v float64) string {
	if v >= 1e6 {
		return fmt.Sprintf("%.2f M", v/1e6)
	}
	return fmt.Sprintf("%.0f", v)
}

func (r *report) writeCost(b *strings.Builder) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format+"\n", a...) }
	if len(r.Cases) < 2 {
		return
	}
	m, err := cost.Shipped()
	if err != nil {
		p("## Cost per 1 million surveys sent")
		p("")
		p("(costs.yaml does not load: %v)", err)
		return
	}
	low, high := r.Cases[0], r.Cases[1]
	unitsOf := func(c surveyCase, fns ...string) (rr, ww float64) {
		for _, fn := range fns {
			rr += c.Units[fn].Read
			ww += c.Units[fn].Write
		}
		return rr, ww
	}
	// Per sent survey: touchpoint, dispatch and the SES events; per unanswered survey: its reminder;
	// per answer: the answer and the follow-up. The scorer applies every answer since its last run
	// at once, so its share above an idle run is paid per run (every run has answers at this volume).
	sendR, sendW := unitsOf(high, "TouchpointFunction", "DispatchFunction", "MailEventsFunction")
	ansR, ansW := unitsOf(high, "SurveyFunction", "FollowupFunction")
	tickR, tickW := unitsOf(low, "SurveyFunction", "FollowupFunction")
	scoreR, scoreW := unitsOf(high, "ScoreFunction")
	answers, tickets := surveys*responseRate, surveys*responseRate*ticketShare
	rru := surveys*sendR + (surveys-answers)*r.Reminder.Read + (answers-tickets)*ansR + tickets*tickR +
		dispatchRuns*r.Idle["DispatchFunction"].Read + scoreRuns*(r.Idle["ScoreFunction"].Read+scoreR)
	wru := surveys*sendW + (surveys-answers)*r.Reminder.Write + (answers-tickets)*ansW + tickets*tickW +
		dispatchRuns*r.Idle["DispatchFunction"].Write + scoreRuns*(r.Idle["ScoreFunction"].Write+scoreW)

	tp, sv, fu, ds, sc := r.meanMs("TouchpointFunction"), r.meanMs("SurveyFunction"), r.meanMs("FollowupFunction"),
		r.meanMs("DispatchFunction"), r.meanMs("ScoreFunction")
	invocations := surveys + answers*2 + answers + dispatchRuns + scoreRuns + slaRuns
	gbs := memoryGB(m) / 1000 * (surveys*tp + answers*2*sv + answers*fu + dispatchRuns*ds + surveys*ds/20 + scoreRuns*sc + slaRuns*fu)
	emails := surveys + (surveys - answers) + tickets // invitations, reminders, new-ticket notices
	bill := m.Bill(cost.Usage{
		LambdaRequests: invocations, LambdaGBSeconds: gbs, HTTPRequests: answers * 2,
		SchedulerInvocations: dispatchRuns + scoreRuns + slaRuns, WriteUnits: wru, ReadUnits: rru, Emails: emails,
	})
	p("## Cost per 1 million surveys sent")
	p("")
	p("Prices from costs.yaml (%s, as of %s, discount %.0f%%; the file a team edits for its region and discounts); free",
		m.Region, m.AsOf, m.Discount*100)
	p("tiers ignored except the Scheduler's. Assumed: one touchpoint per survey, %.0f%% answered", responseRate*100)
	p("(the rest get their one reminder), %.0f%% of answers open a ticket, %.0f MB (costs.yaml memoryMB) for every function,", ticketShare*100, m.MemoryMB)
	p("durations = the mean warm durations measured above on this machine (touchpoint %.1f ms, survey page %.1f ms,", tp, sv)
	p("follow-up %.1f ms, dispatch tick %.1f ms, scoring run %.1f ms; each email sent assumed to add a twentieth of a tick's", fu, ds, sc)
	p("duration, an assumption: the bench does not separate a tick's time per send), request")
	p("units = the measured per-step figures above (without a ticket for %.0f%% of answers, with one for %.0f%%), a", (1-ticketShare)*100, ticketShare*100)
	p("reminder for every unanswered survey (%.1f RRU, %.1f WRU, measured: the dispatch tick that sends it and its SES", r.Reminder.Read, r.Reminder.Write)
	p("events), the scorer's share once per run (about %.0f answers a run at this volume), and the fixed ticks.", answers/scoreRuns)
	p("Storage (about 1-2 KB per invitation), CloudWatch Logs and data transfer are not included.")
	p("")
	p("| item | quantity per month | unit price | cost (%s) | share of the total |", m.Currency)
	p("|---|---:|---:|---:|---:|")
	for _, l := range bill.Lines {
		p("| %s | %s | %.10g | %.2f | %.1f%% |", l.Item, quantity(l.Quantity), l.Price, l.Cost, 100*l.Cost/max(bill.Total, 1e-12))
	}
	p("| **total** | | | **%.2f** (%.6f per survey sent, %.4f per 1,000) | |", bill.Total, bill.Total/surveys, cost.PerThousand(bill.Total, surveys))
	total := bill.Total
	p("")
	p("SES dominates; everything else is a few dollars per million surveys. Hosted survey tools price by plan, not by")
	p("API call: Delighted's plans are sized by surveys sent per month plus premium features")
	p("(help.delighted.com/article/527-pricing-plans-and-billing), Nicereply's by responses received per month")
	p("(nicereply.com/pricing). Their current per-survey list prices could not be retrieved from this environment, so no")
	p("figure is quoted here; divide a plan's monthly list price by its send (or response) allowance to compare with the")
	p("%.6f USD per survey sent above, and remember list prices are before volume discounts.", total/surveys)
	p("")
}
