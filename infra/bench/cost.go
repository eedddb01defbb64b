package main

import (
	"fmt"
	"strings"
)

// Public on-demand prices, us-east-1, as published by AWS and known on 2026-11-23 (check the
// pricing pages before relying on them). DynamoDB on-demand is the November 2024 price.
const (
	priceLambdaGBs      = 0.0000133334 // arm64, per GB-second
	priceLambdaRequest  = 0.20 / 1e6
	priceHTTPAPIRequest = 1.00 / 1e6 // first 300 million a month
	priceScheduler      = 1.00 / 1e6 // after 14 million free invocations a month
	priceWRU            = 0.625 / 1e6
	priceRRU            = 0.125 / 1e6
	priceSESEmail       = 0.10 / 1000
)

// Volume assumptions of the model (one month, 1,000,000 surveys sent).
const (
	surveys      = 1e6
	responseRate = 0.30 // answered share; the rest get their one reminder
	ticketShare  = 0.20 // answered surveys at or below the follow-up threshold
	memoryGB     = 0.25 // template.yaml Globals MemorySize 256
	dispatchRuns = 43200.0
	scoreRuns    = 2880.0
	slaRuns      = 8640.0
)

func (r *report) meanMs(fn string) float64 { return mean(r.Durations[fn]) }

func (r *report) writeCost(b *strings.Builder) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format+"\n", a...) }
	if len(r.Cases) < 2 {
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
	// Per sent survey: touchpoint + dispatch; per answer: answer + scoring share + follow-up.
	sendR, sendW := unitsOf(high, "TouchpointFunction", "DispatchFunction")
	ansR, ansW := unitsOf(high, "SurveyFunction", "ScoreFunction", "FollowupFunction")
	tickR, tickW := unitsOf(low, "SurveyFunction", "ScoreFunction", "FollowupFunction")
	answers, tickets := surveys*responseRate, surveys*responseRate*ticketShare
	rru := surveys*sendR + (answers-tickets)*ansR + tickets*tickR +
		dispatchRuns*r.Idle["DispatchFunction"].Read + scoreRuns*r.Idle["ScoreFunction"].Read
	wru := surveys*sendW + (answers-tickets)*ansW + tickets*tickW +
		dispatchRuns*r.Idle["DispatchFunction"].Write + scoreRuns*r.Idle["ScoreFunction"].Write

	tp, sv, fu, ds, sc := r.meanMs("TouchpointFunction"), r.meanMs("SurveyFunction"), r.meanMs("FollowupFunction"),
		r.meanMs("DispatchFunction"), r.meanMs("ScoreFunction")
	invocations := surveys + answers*2 + answers + dispatchRuns + scoreRuns + slaRuns
	gbs := memoryGB / 1000 * (surveys*tp + answers*2*sv + answers*fu + dispatchRuns*ds + surveys*ds/20 + scoreRuns*sc + slaRuns*fu)
	emails := surveys + (surveys - answers) + tickets // invitations, reminders, new-ticket notices
	rows := []struct {
		item, qty, price string
		cost             float64
	}{
		{"Lambda compute (arm64, 256 MB)", fmt.Sprintf("%.0f GB-s", gbs), "$0.0000133334 / GB-s", gbs * priceLambdaGBs},
		{"Lambda requests", fmt.Sprintf("%.2f M", invocations/1e6), "$0.20 / M", invocations * priceLambdaRequest},
		{"HTTP API requests (GET + POST per answer)", fmt.Sprintf("%.2f M", answers*2/1e6), "$1.00 / M", answers * 2 * priceHTTPAPIRequest},
		{"EventBridge Scheduler invocations", fmt.Sprintf("%.0f", dispatchRuns+scoreRuns+slaRuns), "$1.00 / M after 14 M free", 0},
		{"DynamoDB write request units", fmt.Sprintf("%.2f M", wru/1e6), "$0.625 / M", wru * priceWRU},
		{"DynamoDB read request units", fmt.Sprintf("%.2f M", rru/1e6), "$0.125 / M", rru * priceRRU},
		{"SES emails (invitations, reminders, ticket notices)", fmt.Sprintf("%.2f M", emails/1e6), "$0.10 / 1,000", emails * priceSESEmail},
	}
	p("## Cost per 1 million surveys sent")
	p("")
	p("Public on-demand list prices, us-east-1, as known on 2026-11-23 (AWS pricing pages; DynamoDB on-demand at the")
	p("November 2024 price); free tiers ignored except the Scheduler's. Assumed: one touchpoint per survey, %.0f%% answered",
		responseRate*100)
	p("(the rest get their one reminder), %.0f%% of answers open a ticket, 256 MB (template Globals) for every function,", ticketShare*100)
	p("durations = the mean warm durations measured above on this machine (touchpoint %.1f ms, survey page %.1f ms,", tp, sv)
	p("follow-up %.1f ms, dispatch tick %.1f ms, scoring run %.1f ms; each email sent assumed to add a twentieth of a tick's", fu, ds, sc)
	p("duration, an assumption: the bench does not separate a tick's time per send), request")
	p("units = the measured per-step figures above (without a ticket for %.0f%% of answers, with one for %.0f%%) plus the", (1-ticketShare)*100, ticketShare*100)
	p("fixed ticks. Storage (about 1-2 KB per invitation), CloudWatch Logs and data transfer are not included.")
	p("")
	p("| item | quantity per month | price | cost (USD) |")
	p("|---|---:|---:|---:|")
	var total float64
	for _, row := range rows {
		total += row.cost
		p("| %s | %s | %s | %.2f |", row.item, row.qty, row.price, row.cost)
	}
	p("| **total** | | | **%.2f** (%.6f per survey sent) |", total, total/surveys)
	p("")
	p("SES dominates; everything else is a few dollars per million surveys. Hosted survey tools price by plan, not by")
	p("API call: Delighted's plans are sized by surveys sent per month plus premium features")
	p("(help.delighted.com/article/527-pricing-plans-and-billing), Nicereply's by responses received per month")
	p("(nicereply.com/pricing). Their current per-survey list prices could not be retrieved from this environment, so no")
	p("figure is quoted here; divide a plan's monthly list price by its send (or response) allowance to compare with the")
	p("%.6f USD per survey sent above, and remember list prices are before volume discounts.", total/surveys)
	p("")
}
